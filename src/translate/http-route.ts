/**
 * VirtualService HTTP routes -> Envoy routes (istio/istio `pilot/pkg/networking/core/route/route.go`
 * BuildHTTPRoutesForVirtualService, TranslateRoute, applyHTTPRouteDestination, ApplyRedirect,
 * ApplyDirectResponse, TranslateFault, TranslateHeadersOperations, GetDestinationCluster), and the
 * default route of a service without one (BuildDefaultHTTPOutboundRoute).
 */
import type { MeshService } from '../registry/mesh-model.js';
import { outboundClusterName, parseClusterName } from './cluster-names.js';
import type { IndexedVirtualService } from './config-index.js';
import { resolveShortname } from './hostnames.js';
import type {
  DestinationView,
  HeadersView,
  HttpFaultView,
  HttpMatchRequestView,
  HttpRedirectView,
  HttpRouteView,
} from './istio-api.js';
import { protoDuration } from './outlier-detection.js';
import { convertRetryPolicy } from './retry-policy.js';
import { isCatchAllMatch, translateRouteMatch } from './route-match.js';

type Json = Record<string, unknown>;

export const faultFilterName = 'envoy.filters.http.fault';
const faultTypeUrl = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

export interface RouteContext {
  readonly proxyNamespace: string;
  readonly proxyLabels: Readonly<Record<string, string>>;
  /** `mesh` for sidecars, `<ns>/<name>` of the Gateways being built for routers. */
  readonly gatewayNames: ReadonlySet<string>;
  /** The port the request arrived for (the listener or virtual host port). */
  readonly listenerPort: number;
  readonly domainSuffix: string;
  /** Proxyless gRPC clients get `max_stream_duration` (setTimeout), others the deprecated `max_grpc_timeout`. */
  readonly isProxylessGrpc: boolean;
  readonly lookupService: (hostname: string) => MeshService | undefined;
}

/** setTimeout: 0s (disabled) unless the VirtualService sets one. */
function applyTimeout(action: Json, timeout: string | undefined, ctx: RouteContext | undefined): void {
  const value = timeout === undefined ? '0s' : protoDuration(timeout);
  action['timeout'] = value;
  if (ctx?.isProxylessGrpc === true) action['max_stream_duration'] = { max_stream_duration: value };
  // Envoy sidecars also get `max_grpc_timeout` (= the timeout); the Spillway proxy has no grpc-timeout
  // header handling yet, so it is left out (ADR 0008 gaps).
}

/** GetDestinationCluster: the destination's port, else the service's only port, else the listener port. */
export function destinationCluster(
  destination: DestinationView,
  namespace: string,
  ctx: RouteContext,
): { cluster: string; hostname: string } {
  const hostname = resolveShortname(destination.host, namespace, ctx.domainSuffix);
  const service = ctx.lookupService(hostname);
  let port = ctx.listenerPort;
  if (destination.port?.number !== undefined) port = destination.port.number;
  else if (service !== undefined && service.ports.length === 1) port = service.ports[0]?.port ?? port;
  return { cluster: outboundClusterName(hostname, port, destination.subset ?? ''), hostname };
}

interface HeaderOps {
  requestAdd: Json[];
  responseAdd: Json[];
  requestRemove: string[];
  responseRemove: string[];
  authority: string;
}

function isInternalHeader(key: string): boolean {
  return key.startsWith(':') || key.toLowerCase() === 'host';
}

/** translateAppendHeaders: sorted by key; `set` overwrites, `add` appends (the enum's zero value). */
function appendHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  append: boolean,
): { list: Json[]; authority: string } {
  let authority = '';
  const list: Json[] = [];
  for (const key of Object.keys(headers ?? {}).sort()) {
    const value = (headers as Record<string, string>)[key] as string;
    if (key.toLowerCase() === ':authority' || key.toLowerCase() === 'host') authority = value;
    if (isInternalHeader(key)) continue;
    const option: Json = { header: value === '' ? { key } : { key, value } };
    if (!append) option['append_action'] = 'OVERWRITE_IF_EXISTS_OR_ADD';
    list.push(option);
  }
  return { list, authority };
}

export function translateHeaders(headers: HeadersView | undefined): HeaderOps {
  const set = appendHeaders(headers?.request?.set, false);
  const add = appendHeaders(headers?.request?.add, true);
  return {
    requestAdd: [...set.list, ...appendHeaders(headers?.request?.add, true).list],
    responseAdd: [
      ...appendHeaders(headers?.response?.set, false).list,
      ...appendHeaders(headers?.response?.add, true).list,
    ],
    requestRemove: (headers?.request?.remove ?? []).filter((k) => !isInternalHeader(k)),
    responseRemove: (headers?.response?.remove ?? []).filter((k) => !isInternalHeader(k)),
    authority: set.authority !== '' ? set.authority : add.authority,
  };
}

function setHeaderFields(target: Json, ops: HeaderOps, withRemovals: boolean): void {
  const append = (field: string, values: unknown[]) => {
    if (values.length === 0) return;
    target[field] = [...((target[field] as unknown[] | undefined) ?? []), ...values];
  };
  append('request_headers_to_add', ops.requestAdd);
  append('response_headers_to_add', ops.responseAdd);
  if (withRemovals) {
    append('request_headers_to_remove', ops.requestRemove);
    append('response_headers_to_remove', ops.responseRemove);
  }
}

/** gRPC status names -> codes (the validation webhook has already rejected unknown names). */
const grpcCodes: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** A Percent -> FractionalPercent per million (translatePercentToFractionalPercent). */
function perMillion(value: number | undefined): Json {
  const numerator = Math.trunc((value ?? 0) * 10000);
  return numerator === 0 ? { denominator: 'MILLION' } : { numerator, denominator: 'MILLION' };
}

/** TranslateFault; exponential delays and HTTP/2 errors are not supported by Istio either. */
export function translateFault(fault: HttpFaultView): Json | undefined {
  const out: Json = { '@type': faultTypeUrl };
  const delay = fault.delay;
  if (delay !== undefined && delay.fixedDelay !== undefined) {
    const pct =
      delay.percentage !== undefined
        ? perMillion(delay.percentage.value)
        : (delay.percent ?? 0) === 0
          ? {}
          : { numerator: delay.percent };
    out['delay'] = { fixed_delay: protoDuration(delay.fixedDelay), percentage: pct };
  }
  const abort = fault.abort;
  if (abort !== undefined && (abort.httpStatus !== undefined || abort.grpcStatus !== undefined)) {
    const a: Json = {};
    if (abort.percentage !== undefined) a['percentage'] = perMillion(abort.percentage.value);
    if (abort.httpStatus !== undefined) a['http_status'] = abort.httpStatus;
    else a['grpc_status'] = grpcCodes[abort.grpcStatus ?? ''] ?? 2;
    out['abort'] = a;
  }
  return out['delay'] === undefined && out['abort'] === undefined ? undefined : out;
}

/** ApplyRedirect (VirtualService semantics). */
function redirectAction(redirect: HttpRedirectView, port: number): Json | undefined {
  const action: Json = {};
  if (redirect.authority !== undefined && redirect.authority !== '')
    action['host_redirect'] = redirect.authority;
  if (redirect.uri !== undefined && redirect.uri !== '') action['path_redirect'] = redirect.uri;
  if (redirect.scheme !== undefined && redirect.scheme !== '') action['scheme_redirect'] = redirect.scheme;
  if (redirect.port !== undefined || redirect.derivePort !== undefined) {
    let p = redirect.port ?? (redirect.derivePort === 'FROM_REQUEST_PORT' ? port : 0);
    const scheme = redirect.scheme ?? 'http';
    if ((p === 80 && scheme === 'http') || (p === 443 && scheme === 'https')) p = 0;
    if (p !== 0) action['port_redirect'] = p;
  }
  const codes: Record<number, string> = {
    0: 'MOVED_PERMANENTLY',
    301: 'MOVED_PERMANENTLY',
    302: 'FOUND',
    303: 'SEE_OTHER',
    307: 'TEMPORARY_REDIRECT',
    308: 'PERMANENT_REDIRECT',
  };
  const code = codes[redirect.redirectCode ?? 0];
  if (code === undefined) return undefined;
  if (code !== 'MOVED_PERMANENTLY') action['response_code'] = code;
  return action;
}

/** GetRouteOperation: `host:port/path*` for a single cluster, else `<vs name>:port/path*`. */
function routeOperation(route: Json, vsName: string, port: number): string {
  const match = route['match'] as Json;
  let path = '/*';
  if (typeof match['prefix'] === 'string') path = `${match['prefix']}*`;
  else if (typeof match['path'] === 'string') path = match['path'];
  else if (match['safe_regex'] !== undefined) path = (match['safe_regex'] as Json)['regex'] as string;
  const cluster = (route['route'] as Json | undefined)?.['cluster'];
  const parsed = typeof cluster === 'string' ? parseClusterName(cluster) : undefined;
  return parsed !== undefined ? `${parsed.hostname}:${parsed.port}${path}` : `${vsName}:${port}${path}`;
}

/** sourceMatchHTTP: gateways in the match, else source labels and namespace. */
function sourceMatches(
  match: HttpMatchRequestView | undefined,
  vsNamespace: string,
  ctx: RouteContext,
): boolean {
  if (match === undefined) return true;
  if ((match.gateways?.length ?? 0) > 0) {
    return (match.gateways ?? []).some((g) =>
      ctx.gatewayNames.has(g === 'mesh' || g.includes('/') ? g : `${vsNamespace}/${g}`),
    );
  }
  for (const [k, v] of Object.entries(match.sourceLabels ?? {})) if (ctx.proxyLabels[k] !== v) return false;
  return (
    match.sourceNamespace === undefined ||
    match.sourceNamespace === '' ||
    match.sourceNamespace === ctx.proxyNamespace
  );
}

function routeDestination(
  route: Json,
  http: HttpRouteView,
  vs: IndexedVirtualService,
  ctx: RouteContext,
  authorityIn: string,
): void {
  const action: Json = {};
  applyTimeout(action, http.timeout, ctx);
  let authority = authorityIn;
  if (http.rewrite !== undefined) {
    const regex = http.rewrite.uriRegexRewrite;
    if (regex !== undefined)
      action['regex_rewrite'] = { pattern: { regex: regex.match ?? '' }, substitution: regex.rewrite ?? '' };
    else if (http.rewrite.uri !== undefined && http.rewrite.uri !== '')
      action['prefix_rewrite'] = http.rewrite.uri;
    if (http.rewrite.authority !== undefined && http.rewrite.authority !== '')
      authority = http.rewrite.authority;
  }
  if (authority !== '') action['host_rewrite_literal'] = authority;
  const destinations = http.route ?? [];
  if (destinations.length === 1) {
    const dst = destinations[0] as NonNullable<HttpRouteView['route']>[number];
    action['cluster'] = destinationCluster(dst.destination, vs.namespace, ctx).cluster;
    if (dst.headers !== undefined) {
      const ops = translateHeaders(dst.headers);
      setHeaderFields(route, ops, true);
      if (ops.authority !== '' && action['host_rewrite_literal'] === undefined)
        action['host_rewrite_literal'] = ops.authority;
    }
  } else {
    const clusters = destinations
      .filter((d) => (d.weight ?? 0) !== 0)
      .map((d) => {
        const weighted: Json = {
          name: destinationCluster(d.destination, vs.namespace, ctx).cluster,
          weight: d.weight ?? 0,
        };
        // Per-cluster removals and authority rewrites are not in the Spillway proxy (ADR 0008 gaps).
        if (d.headers !== undefined) setHeaderFields(weighted, translateHeaders(d.headers), false);
        return weighted;
      });
    action['weighted_clusters'] = { clusters };
  }
  // Consistent-hash destinations drop previous_hosts; ring hash is not in the Spillway proxy, so no
  // destination here is consistent-hashed.
  const retry = convertRetryPolicy(http.retries, false);
  if (retry !== undefined) action['retry_policy'] = retry;
  route['route'] = action;
}

/** TranslateRoute for one condition; undefined when the condition does not apply to this proxy/port. */
function translateRoute(
  http: HttpRouteView,
  match: HttpMatchRequestView | undefined,
  vs: IndexedVirtualService,
  ctx: RouteContext,
): Json | undefined {
  if (match?.port !== undefined && match.port !== 0 && match.port !== ctx.listenerPort) return undefined;
  if (!sourceMatches(match, vs.namespace, ctx)) return undefined;
  let name = http.name ?? '';
  if (match?.name !== undefined && match.name !== '') name = `${name}.${match.name}`;
  const route: Json = {};
  if (name !== '') route['name'] = name;
  route['match'] = translateRouteMatch(match);
  route['metadata'] = { filter_metadata: { istio: { config: vs.ref.path } } };
  let authority = '';
  if (http.headers !== undefined) {
    const ops = translateHeaders(http.headers);
    setHeaderFields(route, ops, true);
    authority = ops.authority;
  }
  if (http.redirect !== undefined) {
    const redirect = redirectAction(http.redirect, ctx.listenerPort);
    if (redirect === undefined) return undefined;
    route['redirect'] = redirect;
  } else if (http.directResponse !== undefined) {
    const direct: Json = { status: http.directResponse.status };
    const body = http.directResponse.body;
    if (body?.string !== undefined) direct['body'] = { inline_string: body.string };
    else if (body?.bytes !== undefined) direct['body'] = { inline_bytes: body.bytes };
    route['direct_response'] = direct;
  } else {
    routeDestination(route, http, vs, ctx, authority);
  }
  route['decorator'] = { operation: routeOperation(route, vs.ref.name, ctx.listenerPort) };
  const fault = http.fault === undefined ? undefined : translateFault(http.fault);
  if (fault !== undefined) route['typed_per_filter_config'] = { [faultFilterName]: fault };
  return route;
}

/**
 * BuildHTTPRoutesForVirtualService: one route per match condition, stopping after a catch-all.
 * Undefined when nothing applies (Istio then ignores the VirtualService on this port).
 */
export function virtualServiceRoutes(vs: IndexedVirtualService, ctx: RouteContext): Json[] | undefined {
  const out: Json[] = [];
  for (const http of vs.spec.http ?? []) {
    let catchAll = false;
    if ((http.match?.length ?? 0) === 0) {
      const r = translateRoute(http, undefined, vs, ctx);
      if (r !== undefined) out.push(r);
      catchAll = true;
    } else {
      for (const match of http.match ?? []) {
        const r = translateRoute(http, match, vs, ctx);
        if (r === undefined) continue;
        out.push(r);
        if (isCatchAllMatch(r['match'] as Json)) {
          catchAll = true;
          break;
        }
      }
    }
    if (catchAll) break;
  }
  return out.length === 0 ? undefined : out;
}

/** BuildDefaultHTTPOutboundRoute: prefix `/` to `outbound|port||host`, timeout 0, default retries. */
export function defaultOutboundRoute(hostname: string, port: number, ctx: RouteContext): Json {
  const cluster = outboundClusterName(hostname, port);
  // The default route is built without the proxy (setTimeout(..., nil)): gRPC clients get the
  // deprecated max_grpc_timeout too, which they ignore.
  const action: Json = { cluster, timeout: '0s' };
  if (ctx.isProxylessGrpc) action['max_grpc_timeout'] = '0s';
  action['retry_policy'] = convertRetryPolicy(undefined);
  return {
    name: 'default',
    match: { prefix: '/' },
    decorator: { operation: `${hostname}:${port}/*` },
    route: action,
  };
}
