/**
 * Route actions: `RouteAction` (cluster / weighted_clusters / cluster_header, timeouts, retries,
 * rewrites), `RedirectAction` and `DirectResponseAction`, resolved as Envoy's `RouteEntryImplBase`
 * (source/common/router/config_impl.cc) and `WeightedClusterSpecifierPlugin`
 * (source/common/router/weighted_cluster_specifier.cc) do.
 */
import { ErrorCode } from '../../core/errors.js';
import type {
  DirectResponseActionConfig,
  RedirectActionConfig,
  RouteActionConfig,
  WeightedClusterConfig,
} from '../config/route-config.js';
import type { ConfigNode } from './config-node.js';
import { buildHeadersToAdd } from './header-mutation-builder.js';
import { buildRegex } from './matcher-builder.js';
import { translateRe2Substitution, Re2TranslationError } from './re2-regex.js';
import { buildRetryPolicy } from './retry-policy-builder.js';

/** `RouteAction.timeout` default (route_components.proto: "If not specified, the default is 15s"). */
const defaultRouteTimeoutMs = 15_000;
/** `RouteConfiguration.max_direct_response_body_size_bytes` default (`DEFAULT_MAX_DIRECT_RESPONSE_BODY_SIZE_BYTES`). */
export const defaultMaxDirectResponseBodyBytes = 4096;

const clusterNotFoundCodes: Record<string, number> = {
  SERVICE_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  INTERNAL_SERVER_ERROR: 500,
};

const redirectCodes: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

function buildWeightedClusters(node: ConfigNode): RouteActionConfig['cluster'] {
  node.allowOnly(['clusters', 'total_weight']);
  const clusters: WeightedClusterConfig[] = node.children('clusters').map((entry) => {
    entry.allowOnly(['name', 'weight', 'request_headers_to_add', 'response_headers_to_add']);
    if (entry.string('name') === '') {
      throw entry.error(
        ErrorCode.configInvalid,
        'At least one of name or cluster_header need to be specified',
      );
    }
    if (!entry.has('weight')) {
      // `PROTOBUF_GET_WRAPPED_REQUIRED(cluster, weight)` in WeightedClustersConfigEntry.
      throw entry.error(ErrorCode.configInvalid, 'weight is required for each weighted cluster', 'weight');
    }
    return {
      name: entry.string('name'),
      weight: entry.number('weight', 0),
      requestHeadersToAdd: buildHeadersToAdd(entry, 'request_headers_to_add'),
      responseHeadersToAdd: buildHeadersToAdd(entry, 'response_headers_to_add'),
    };
  });
  const sum = clusters.reduce((total, c) => total + c.weight, 0);
  if (sum === 0)
    throw node.error(
      ErrorCode.configInvalid,
      'Sum of weights in the weighted_cluster must be greater than 0.',
      'clusters',
    );
  if (sum > 2 ** 32 - 1) {
    throw node.error(
      ErrorCode.configOutOfRange,
      `The sum of weights of all weighted clusters exceeds ${2 ** 32 - 1}`,
      'clusters',
    );
  }
  // Current Envoy ignores the deprecated total_weight; older releases required it to equal the sum.
  // We keep the older check: a mismatch always means the author's intent differs from the config.
  const declared = node.optionalNumber('total_weight');
  if (declared !== undefined && declared !== sum) {
    throw node.error(
      ErrorCode.configInvalid,
      `Sum of weights in the weighted_cluster should add up to ${declared} (got ${sum})`,
      'total_weight',
    );
  }
  return { kind: 'weighted', clusters, totalWeight: sum };
}

function buildRegexRewrite(node: ConfigNode): { regex: RegExp; substitution: string } {
  node.allowOnly(['pattern', 'substitution']);
  const pattern = node.child('pattern');
  if (pattern === undefined) throw node.error(ErrorCode.configInvalid, 'pattern is required', 'pattern');
  const regex = buildRegex(pattern, { fullMatch: false, global: true });
  try {
    return { regex, substitution: translateRe2Substitution(node.string('substitution'), regex) };
  } catch (e) {
    if (!(e instanceof Re2TranslationError)) throw e;
    throw node.error(ErrorCode.configInvalid, e.message, 'substitution');
  }
}

/** `RouteAction`. */
export function buildRouteAction(node: ConfigNode): RouteActionConfig {
  node.allowOnly([
    'cluster',
    'cluster_header',
    'weighted_clusters',
    'cluster_not_found_response_code',
    'prefix_rewrite',
    'regex_rewrite',
    'host_rewrite_literal',
    'auto_host_rewrite',
    'timeout',
    'idle_timeout',
    'retry_policy',
  ]);
  let cluster: RouteActionConfig['cluster'];
  const weighted = node.child('weighted_clusters');
  if (weighted !== undefined) cluster = buildWeightedClusters(weighted);
  else if (node.has('cluster_header'))
    cluster = { kind: 'header', header: node.string('cluster_header').toLowerCase() };
  else cluster = { kind: 'cluster', name: node.string('cluster') };
  const prefixRewrite = node.optionalString('prefix_rewrite');
  const regexRewriteNode = node.child('regex_rewrite');
  if (prefixRewrite !== undefined && regexRewriteNode !== undefined) {
    throw node.error(
      ErrorCode.configInvalid,
      'Cannot specify both prefix_rewrite and regex_rewrite',
      'regex_rewrite',
    );
  }
  const retryNode = node.child('retry_policy');
  return {
    kind: 'route',
    cluster,
    clusterNotFoundResponseCode:
      clusterNotFoundCodes[node.enumName('cluster_not_found_response_code', 'SERVICE_UNAVAILABLE')] ?? 503,
    timeoutMs: node.durationMs('timeout', defaultRouteTimeoutMs),
    idleTimeoutMs: node.durationMs('idle_timeout', 0),
    retryPolicy: retryNode === undefined ? undefined : buildRetryPolicy(retryNode),
    prefixRewrite,
    regexRewrite: regexRewriteNode === undefined ? undefined : buildRegexRewrite(regexRewriteNode),
    hostRewriteLiteral: node.optionalString('host_rewrite_literal'),
    autoHostRewrite: node.boolean('auto_host_rewrite', false),
  };
}

/** `RedirectAction`; `https_redirect: true` is the scheme `https`. */
export function buildRedirectAction(node: ConfigNode): RedirectActionConfig {
  node.allowOnly([
    'https_redirect',
    'scheme_redirect',
    'host_redirect',
    'port_redirect',
    'path_redirect',
    'prefix_rewrite',
    'response_code',
    'strip_query',
  ]);
  const port = node.number('port_redirect', 0);
  return {
    kind: 'redirect',
    schemeRedirect: node.boolean('https_redirect', false) ? 'https' : node.optionalString('scheme_redirect'),
    hostRedirect: node.optionalString('host_redirect'),
    portRedirect: port === 0 ? undefined : port,
    pathRedirect: node.optionalString('path_redirect'),
    prefixRewrite: node.optionalString('prefix_rewrite'),
    responseCode: redirectCodes[node.enumName('response_code', 'MOVED_PERMANENTLY')] ?? 301,
    stripQuery: node.boolean('strip_query', false),
  };
}

/** `DirectResponseAction`; the body must fit `maxBodyBytes` (`ConfigUtility::parseDirectResponseBody`). */
export function buildDirectResponseAction(
  node: ConfigNode,
  maxBodyBytes: number,
): DirectResponseActionConfig {
  node.allowOnly(['status', 'body']);
  const bodyNode = node.child('body');
  let body: string | undefined;
  if (bodyNode !== undefined) {
    bodyNode.allowOnly(['inline_string', 'inline_bytes']);
    const bytes = bodyNode.optionalString('inline_bytes');
    body =
      bytes === undefined ? bodyNode.string('inline_string') : Buffer.from(bytes, 'base64').toString('utf8');
    const size = Buffer.byteLength(body, 'utf8');
    if (size > maxBodyBytes) {
      throw bodyNode.error(
        ErrorCode.configInvalid,
        `response body size is ${size} bytes; maximum is ${maxBodyBytes}`,
      );
    }
  }
  return { kind: 'direct_response', status: node.number('status', 0), body };
}
