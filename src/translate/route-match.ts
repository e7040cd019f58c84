/**
 * VirtualService match conditions -> Envoy `RouteMatch` (istio/istio
 * `pilot/pkg/networking/core/route/route.go` TranslateRouteMatch, translateHeaderMatch,
 * translateQueryParamMatch): header matchers sorted by name, then `:method`, `:authority`,
 * `:scheme`; a missing match or the regex `*` means "present"; `case_sensitive` always set.
 */
import type { HttpMatchRequestView, StringMatchView } from './istio-api.js';

type Json = Record<string, unknown>;

function isPresentMatch(match: StringMatchView | undefined): boolean {
  if (match === undefined) return true;
  if (match.regex !== undefined) return match.regex === '*';
  return match.exact === undefined && match.prefix === undefined;
}

/** `util.ConvertToEnvoyMatch`. */
export function stringMatcher(match: StringMatchView): Json | undefined {
  if (match.exact !== undefined) return { exact: match.exact };
  if (match.prefix !== undefined) return { prefix: match.prefix };
  if (match.regex !== undefined) return { safe_regex: { regex: match.regex } };
  return undefined;
}

function headerMatcher(name: string, match: StringMatchView | undefined): Json {
  if (isPresentMatch(match)) return { name, present_match: true };
  const m = stringMatcher(match as StringMatchView);
  return m === undefined ? { name } : { name, string_match: m };
}

/** The match of one VirtualService HTTP route condition (or the catch-all prefix `/`). */
export function translateRouteMatch(match: HttpMatchRequestView | undefined): Json {
  const out: Json = { prefix: '/' };
  if (match === undefined) return out;
  const headers: Json[] = [];
  for (const [name, m] of Object.entries(match.headers ?? {})) headers.push(headerMatcher(name, m));
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {})) {
    const h = headerMatcher(name, m);
    h['invert_match'] = true;
    if (!isPresentMatch(m)) h['treat_missing_header_as_empty'] = true;
    headers.push(h);
  }
  headers.sort((a, b) =>
    (a['name'] as string) < (b['name'] as string)
      ? -1
      : (a['name'] as string) > (b['name'] as string)
        ? 1
        : 0,
  );
  if (match.uri !== undefined) {
    delete out['prefix'];
    if (match.uri.exact !== undefined) out['path'] = match.uri.exact;
    else if (match.uri.prefix !== undefined) out['prefix'] = match.uri.prefix;
    else if (match.uri.regex !== undefined) out['safe_regex'] = { regex: match.uri.regex };
    else out['prefix'] = '/';
  }
  // A BoolValue: set even when true (the normalized form keeps wrappers).
  out['case_sensitive'] = match.ignoreUriCase !== true;
  if (match.method !== undefined) headers.push(headerMatcher(':method', match.method));
  if (match.authority !== undefined) headers.push(headerMatcher(':authority', match.authority));
  if (match.scheme !== undefined) headers.push(headerMatcher(':scheme', match.scheme));
  if (headers.length > 0) out['headers'] = headers;
  const params = Object.entries(match.queryParams ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, m]) => {
      if (isPresentMatch(m)) return { name, present_match: true };
      const sm = stringMatcher(m);
      return sm === undefined ? { name } : { name, string_match: sm };
    });
  if (params.length > 0) out['query_parameters'] = params;
  return out;
}

/** IsCatchAllRoute: prefix `/` (or regex `.*`) without header or query matchers. */
export function isCatchAllMatch(match: Json): boolean {
  const pathAll = match['prefix'] === '/' || (match['safe_regex'] as Json | undefined)?.['regex'] === '.*';
  return pathAll && match['headers'] === undefined && match['query_parameters'] === undefined;
}
