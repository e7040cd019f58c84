/**
 * Route matching inside a virtual host: the first route whose path specifier, header matchers, query
 * parameter matchers and `grpc` flag all match wins (Envoy `VirtualHostImpl::getRouteFromRoutes`,
 * `RouteEntryImplBase::matchRoute` and the `*RouteEntryImpl::matches` overrides in
 * `source/common/router/config_impl.cc`).
 *
 * Everything that can be prepared from configuration (lower-cased prefixes, anchored regexes, header
 * predicates) is compiled once per `VirtualHostConfig` into a `CompiledRouteTable`; per request the table
 * strips the query once, parses query parameters only if some route needs them, and runs closures.
 *
 * Path rules (Envoy `Matchers::PathMatcher::match` calls `PathUtil::removeQueryAndFragment`, which cuts at
 * the first `?` or `#`):
 *   prefix                `/api` matches `/api`, `/api/x`, `/apix`, `/api?x=1`;
 *   path                  `/api` matches `/api` and `/api?x=1` only;
 *   safe_regex            the regex must match the WHOLE path without query (RE2 `FullMatch`): `/a.` matches
 *                         `/ab` but not `/abc`;
 *   path_separated_prefix `/api` matches `/api`, `/api/x`, `/api?x=1`, not `/apix`.
 * `case_sensitive: false` compares ASCII case-insensitively (prefix and path; Envoy ignores it for regex).
 */
import type {
  HeaderMatcherConfig,
  QueryParameterMatcherConfig,
  RouteConfigEntry,
  StringMatcher,
  VirtualHostConfig,
} from '../config/route-config.js';
import type { HeaderMap } from '../http/stream-info.js';

/** ASCII-only lower-casing, like Envoy's `absl::AsciiStrToLower` / `LowerCaseString`. */
export function asciiLowerCase(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text;
}

/** The path without query string and fragment (Envoy `PathUtil::removeQueryAndFragment`). */
export function stripQueryAndFragment(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) return path.slice(0, i);
  }
  return path;
}

/**
 * A copy of `regex` that must match the whole input, as RE2 `FullMatch` does for Envoy's `safe_regex`
 * (`Regex::CompiledGoogleReMatcher::match`). Stateful flags (`g`, `y`) and `m` are dropped so `^`/`$`
 * anchor the whole string and repeated `test` calls do not depend on `lastIndex`.
 */
export function fullMatchRegExp(regex: RegExp): RegExp {
  return new RegExp(`^(?:${regex.source})$`, regex.flags.replace(/[gym]/g, ''));
}

export type StringPredicate = (value: string) => boolean;

/** Envoy `Matchers::StringMatcherImpl::match`; `ignoreCase` is ASCII-only (`absl::EqualsIgnoreCase` etc.). */
export function compileStringMatcher(matcher: StringMatcher): StringPredicate {
  if (matcher.kind === 'regex') {
    const regex = fullMatchRegExp(matcher.regex);
    return (value) => regex.test(value);
  }
  const expected = matcher.ignoreCase ? asciiLowerCase(matcher.value) : matcher.value;
  const fold = matcher.ignoreCase ? asciiLowerCase : (value: string): string => value;
  switch (matcher.kind) {
    case 'exact':
      return (value) => fold(value) === expected;
    case 'prefix':
      return (value) => fold(value).startsWith(expected);
    case 'suffix':
      return (value) => fold(value).endsWith(expected);
    case 'contains':
      return (value) => fold(value).includes(expected);
  }
}

export type HeaderPredicate = (headers: HeaderMap) => boolean;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `absl::SimpleAtoi` into an int64: optional ASCII whitespace around, one optional sign, decimal digits. */
function parseInt64(text: string): bigint | undefined {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*$/.exec(text);
  if (match === null) return undefined;
  const value = BigInt(match[1] as string);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/**
 * One `HeaderMatcher` (Envoy `HeaderUtility::matchHeaders(headers, HeaderData)`, `header_utility.cc`).
 * Several values of one header reach us already joined with `,`, which is what Envoy matches against
 * (`getAllOfHeaderAsString`). A missing header:
 *   - without `treat_missing_header_as_empty`: matches only `present_match: false` (or, inverted,
 *     `present_match: true`); every value matcher fails, inverted or not;
 *   - with it: is matched as the empty string, and `invert` applies as usual (so an inverted range
 *     matcher matches, and `present_match: true` matches because Envoy only looks at the flag then).
 * Range: `[start, end)` on a value that parses completely as a signed 64-bit integer.
 */
export function compileHeaderMatcher(matcher: HeaderMatcherConfig): HeaderPredicate {
  const name = asciiLowerCase(matcher.name);
  const { invert, treatMissingAsEmpty } = matcher;
  const spec = matcher.match;
  let valueMatches: StringPredicate;
  let missingResult: boolean;
  switch (spec.kind) {
    case 'present':
      valueMatches = () => spec.present;
      missingResult = invert ? spec.present : !spec.present;
      break;
    case 'string':
      valueMatches = compileStringMatcher(spec.matcher);
      missingResult = false;
      break;
    case 'range': {
      const start = BigInt(Math.trunc(spec.start));
      const end = BigInt(Math.trunc(spec.end));
      valueMatches = (value) => {
        const parsed = parseInt64(value);
        return parsed !== undefined && parsed >= start && parsed < end;
      };
      missingResult = false;
      break;
    }
  }
  return (headers) => {
    let value = headers.get(name);
    if (value === undefined) {
      if (!treatMissingAsEmpty) return missingResult;
      value = '';
    }
    return valueMatches(value) !== invert;
  };
}

/** All matchers must match; an empty list matches (Envoy `HeaderUtility::matchHeaders(headers, vector)`). */
export function compileHeaderMatchers(matchers: readonly HeaderMatcherConfig[]): HeaderPredicate {
  const predicates = matchers.map(compileHeaderMatcher);
  if (predicates.length === 0) return () => true;
  return (headers) => predicates.every((p) => p(headers));
}

const compiledHeaderLists = new WeakMap<readonly HeaderMatcherConfig[], HeaderPredicate>();

/** `compileHeaderMatchers`, cached per matcher list object (for callers without their own table). */
export function matchHeaders(headers: HeaderMap, matchers: readonly HeaderMatcherConfig[]): boolean {
  if (matchers.length === 0) return true;
  let predicate = compiledHeaderLists.get(matchers);
  if (predicate === undefined) {
    predicate = compileHeaderMatchers(matchers);
    compiledHeaderLists.set(matchers, predicate);
  }
  return predicate(headers);
}

/**
 * Query parameters of a `:path`, first value per name (Envoy `QueryParamsMulti::parseQueryString` +
 * `getFirstValue`): everything after the first `?` (a `#fragment` is NOT cut off), split on `&`, then on
 * the first `=`; a parameter without `=` has the value `""`. Names and values are not percent-decoded.
 */
export function parseQueryParameters(path: string): Map<string, string> {
  const params = new Map<string, string>();
  const queryStart = path.indexOf('?');
  if (queryStart === -1) return params;
  let start = queryStart + 1;
  while (start < path.length) {
    let end = path.indexOf('&', start);
    if (end === -1) end = path.length;
    const equal = path.indexOf('=', start);
    const hasValue = equal !== -1 && equal < end;
    const name = path.slice(start, hasValue ? equal : end);
    if (!params.has(name)) params.set(name, hasValue ? path.slice(equal + 1, end) : '');
    start = end + 1;
  }
  return params;
}

type QueryPredicate = (params: Map<string, string>) => boolean;

/** Envoy `ConfigUtility::QueryParameterMatcher::matches`: a missing parameter never matches. */
function compileQueryMatcher(matcher: QueryParameterMatcherConfig): QueryPredicate {
  const { name } = matcher;
  if (matcher.match.kind === 'present') return (params) => params.has(name);
  const valueMatches = compileStringMatcher(matcher.match.matcher);
  return (params) => {
    const value = params.get(name);
    return value !== undefined && valueMatches(value);
  };
}

/**
 * Envoy `Grpc::Common::isGrpcRequestHeaders`: a `:path` and a `content-type` that is exactly
 * `application/grpc` or starts with `application/grpc+` (so `application/grpc-web` and
 * `application/grpc;charset=...` are NOT gRPC).
 */
export function isGrpcRequest(headers: HeaderMap): boolean {
  if (!headers.has(':path')) return false;
  const contentType = headers.get('content-type');
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  return contentType.length === 'application/grpc'.length || contentType['application/grpc'.length] === '+';
}

/** Per-request facts shared by every route of one lookup. */
interface RequestView {
  readonly headers: HeaderMap;
  /** `:path` without query and fragment. */
  readonly path: string;
  lowerPath: string | undefined;
  readonly fullPath: string;
  query: Map<string, string> | undefined;
}

function lowerPathOf(view: RequestView): string {
  view.lowerPath ??= asciiLowerCase(view.path);
  return view.lowerPath;
}

type PathPredicate = (view: RequestView) => boolean;

function compilePathMatcher(route: RouteConfigEntry): PathPredicate {
  const spec = route.match.path;
  if (spec.kind === 'safe_regex') {
    const regex = fullMatchRegExp(spec.regex);
    return (view) => regex.test(view.path);
  }
  // Envoy `PathMatcher::createPrefix` uses a case-sensitive matcher for `` and `/` either way; folding
  // changes nothing for them, so only the general case matters here.
  const ignoreCase = !route.match.caseSensitive;
  const value = ignoreCase ? asciiLowerCase(spec.value) : spec.value;
  const pathOf = ignoreCase ? lowerPathOf : (view: RequestView): string => view.path;
  switch (spec.kind) {
    case 'prefix':
      return (view) => pathOf(view).startsWith(value);
    case 'path':
      return (view) => pathOf(view) === value;
    case 'path_separated_prefix':
      // Envoy `PathSeparatedPrefixRouteEntryImpl::matches`: the prefix, then end of path or `/`.
      return (view) => {
        const path = pathOf(view);
        return path.startsWith(value) && (path.length === value.length || path[value.length] === '/');
      };
  }
}

interface CompiledRoute {
  readonly route: RouteConfigEntry;
  readonly pathMatches: PathPredicate;
  readonly isGrpcOnly: boolean;
  readonly headersMatch: HeaderPredicate | undefined;
  readonly queryMatchers: readonly QueryPredicate[];
}

/** The routes of one virtual host, compiled for per-request matching. */
export class CompiledRouteTable {
  private readonly routes: readonly CompiledRoute[];

  constructor(readonly vhost: VirtualHostConfig) {
    this.routes = vhost.routes.map((route) => ({
      route,
      pathMatches: compilePathMatcher(route),
      isGrpcOnly: route.match.grpcOnly,
      headersMatch: route.match.headers.length > 0 ? compileHeaderMatchers(route.match.headers) : undefined,
      queryMatchers: route.match.queryParameters.map(compileQueryMatcher),
    }));
  }

  /**
   * The first matching route, or undefined (Envoy then answers 404 with flag `NR`). Without `:path`
   * nothing matches: Envoy skips routes that do not support path-less requests (only CONNECT matchers do).
   */
  match(headers: HeaderMap): RouteConfigEntry | undefined {
    const fullPath = headers.get(':path');
    if (fullPath === undefined) return undefined;
    const view: RequestView = {
      headers,
      path: stripQueryAndFragment(fullPath),
      lowerPath: undefined,
      fullPath,
      query: undefined,
    };
    let isGrpc: boolean | undefined;
    for (const compiled of this.routes) {
      if (!compiled.pathMatches(view)) continue;
      if (compiled.isGrpcOnly) {
        isGrpc ??= isGrpcRequest(headers);
        if (!isGrpc) continue;
      }
      if (compiled.headersMatch !== undefined && !compiled.headersMatch(headers)) continue;
      if (compiled.queryMatchers.length > 0) {
        view.query ??= parseQueryParameters(view.fullPath);
        const query = view.query;
        if (!compiled.queryMatchers.every((m) => m(query))) continue;
      }
      return compiled.route;
    }
    return undefined;
  }
}

const routeTables = new WeakMap<VirtualHostConfig, CompiledRouteTable>();

/** The compiled table for `vhost` (built on first use, cached for the config object's lifetime). */
export function compiledRouteTableFor(vhost: VirtualHostConfig): CompiledRouteTable {
  let table = routeTables.get(vhost);
  if (table === undefined) {
    table = new CompiledRouteTable(vhost);
    routeTables.set(vhost, table);
  }
  return table;
}

/** The first route of `vhost` that matches the request (see the file comment for the rules). */
export function matchRoute(vhost: VirtualHostConfig, headers: HeaderMap): RouteConfigEntry | undefined {
  return compiledRouteTableFor(vhost).match(headers);
}
