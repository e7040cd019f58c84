/**
 * `config.route.v3.RouteConfiguration` -> `RouteConfiguration`, with the load-time checks of Envoy's
 * `ConfigImpl`/`RouteMatcher` (source/common/router/config_impl.cc): unique domains, a single `*`
 * virtual host, and (when `validate_clusters` applies) routes naming only known clusters.
 */
import { ErrorCode, type ConfigLocation } from '../../core/errors.js';
import { validateResource } from '../../envoy/proto-json-validator.js';
import type { FaultConfig } from '../config/filter-config.js';
import type {
  RouteConfigEntry,
  RouteConfiguration,
  RouteMatchConfig,
  VirtualHostConfig,
} from '../config/route-config.js';
import { ConfigNode } from './config-node.js';
import { buildFaultConfig, faultFilterType } from './fault-config-builder.js';
import { buildHeadersToAdd, buildHeadersToRemove } from './header-mutation-builder.js';
import { buildHeaderMatcher, buildQueryParameterMatcher, buildRegex } from './matcher-builder.js';
import {
  buildDirectResponseAction,
  buildRedirectAction,
  buildRouteAction,
  defaultMaxDirectResponseBodyBytes,
} from './route-action-builder.js';
import { buildRetryPolicy } from './retry-policy-builder.js';

export const routeConfigurationType = 'envoy.config.route.v3.RouteConfiguration';

export interface RouteBuildOptions {
  /**
   * Clusters that exist when the routes are loaded. With `validate_clusters` in effect, a route
   * naming another cluster is rejected ("route: unknown cluster 'x'"). Omit to skip the check.
   */
  readonly knownClusters?: ReadonlySet<string>;
  /**
   * `validate_clusters` when the config leaves it unset: true for a `route_config` inline in the
   * HTTP connection manager, false for RDS (route_components.proto, `validate_clusters`).
   */
  readonly validateClustersByDefault?: boolean;
}

/** `typed_per_filter_config`: only HTTPFault overrides are understood. */
function buildFaultOverride(node: ConfigNode): FaultConfig | undefined {
  let override: FaultConfig | undefined;
  for (const [key, entry] of node.entries('typed_per_filter_config')) {
    if (entry.anyTypeName() !== faultFilterType) {
      throw entry.error(
        ErrorCode.configUnsupported,
        `typed_per_filter_config for ${JSON.stringify(key)} (${entry.string('@type')}) is not yet supported by Spillway (only ${faultFilterType})`,
      );
    }
    // Envoy keys per-route configs by the HCM filter's name; Spillway has at most one fault
    // override per level, whatever the key, so two would be ambiguous.
    if (override !== undefined)
      throw entry.error(
        ErrorCode.configUnsupported,
        'more than one fault override is not yet supported by Spillway',
      );
    override = buildFaultConfig(entry);
  }
  return override;
}

function buildRouteMatch(node: ConfigNode): RouteMatchConfig {
  node.allowOnly([
    'prefix',
    'path',
    'safe_regex',
    'path_separated_prefix',
    'case_sensitive',
    'headers',
    'query_parameters',
    'grpc',
  ]);
  let path: RouteMatchConfig['path'];
  const regex = node.child('safe_regex');
  if (regex !== undefined) path = { kind: 'safe_regex', regex: buildRegex(regex, { fullMatch: true }) };
  else if (node.has('path')) path = { kind: 'path', value: node.string('path') };
  else if (node.has('path_separated_prefix'))
    path = { kind: 'path_separated_prefix', value: node.string('path_separated_prefix') };
  else path = { kind: 'prefix', value: node.string('prefix') };
  return {
    path,
    caseSensitive: node.boolean('case_sensitive', true),
    headers: node.children('headers').map(buildHeaderMatcher),
    queryParameters: node.children('query_parameters').map(buildQueryParameterMatcher),
    grpcOnly: node.has('grpc'),
  };
}

/**
 * `metadata` (filter metadata for other filters and access logs) and `decorator` (the tracing span
 * name; Spillway has no tracing) cannot change Spillway's behaviour, so they are accepted and ignored.
 */
function buildRoute(node: ConfigNode, maxBodyBytes: number): RouteConfigEntry {
  node.allowOnly(
    [
      'name',
      'match',
      'route',
      'redirect',
      'direct_response',
      'typed_per_filter_config',
      'request_headers_to_add',
      'request_headers_to_remove',
      'response_headers_to_add',
      'response_headers_to_remove',
    ],
    ['metadata', 'decorator'],
  );
  const routeAction = node.child('route');
  const redirect = node.child('redirect');
  const direct = node.child('direct_response');
  let action: RouteConfigEntry['action'];
  if (routeAction !== undefined) action = buildRouteAction(routeAction);
  else if (redirect !== undefined) action = buildRedirectAction(redirect);
  else if (direct !== undefined) action = buildDirectResponseAction(direct, maxBodyBytes);
  else throw node.error(ErrorCode.configInvalid, 'one of route, redirect, direct_response must be set');
  const match = node.child('match');
  if (match === undefined) throw node.error(ErrorCode.configInvalid, 'value is required', 'match');
  return {
    name: node.string('name'),
    match: buildRouteMatch(match),
    action,
    requestHeadersToAdd: buildHeadersToAdd(node, 'request_headers_to_add'),
    requestHeadersToRemove: buildHeadersToRemove(node, 'request_headers_to_remove'),
    responseHeadersToAdd: buildHeadersToAdd(node, 'response_headers_to_add'),
    responseHeadersToRemove: buildHeadersToRemove(node, 'response_headers_to_remove'),
    faultOverride: buildFaultOverride(node),
  };
}

/** `metadata` is informational (see buildRoute). */
function buildVirtualHost(node: ConfigNode, maxBodyBytes: number): VirtualHostConfig {
  node.allowOnly(
    [
      'name',
      'domains',
      'routes',
      'retry_policy',
      'include_request_attempt_count',
      'include_attempt_count_in_response',
      'request_headers_to_add',
      'request_headers_to_remove',
      'response_headers_to_add',
      'response_headers_to_remove',
      'typed_per_filter_config',
    ],
    ['metadata'],
  );
  const retryNode = node.child('retry_policy');
  return {
    name: node.string('name'),
    // RouteMatcher lower-cases domains: host matching is case-insensitive.
    domains: node.strings('domains').map((domain) => domain.toLowerCase()),
    routes: node.children('routes').map((route) => buildRoute(route, maxBodyBytes)),
    retryPolicy: retryNode === undefined ? undefined : buildRetryPolicy(retryNode),
    includeRequestAttemptCount: node.boolean('include_request_attempt_count', false),
    includeAttemptCountInResponse: node.boolean('include_attempt_count_in_response', false),
    requestHeadersToAdd: buildHeadersToAdd(node, 'request_headers_to_add'),
    requestHeadersToRemove: buildHeadersToRemove(node, 'request_headers_to_remove'),
    responseHeadersToAdd: buildHeadersToAdd(node, 'response_headers_to_add'),
    responseHeadersToRemove: buildHeadersToRemove(node, 'response_headers_to_remove'),
    faultOverride: buildFaultOverride(node),
  };
}

/**
 * Envoy's domain rules: `*` alone is the default virtual host and may appear once per route
 * configuration; `*.suffix` and `prefix*` are wildcards; every other domain is exact (a `*` in the
 * middle is just a character). Any domain repeated, in the same or another virtual host, is an error.
 */
function checkDomains(node: ConfigNode, virtualHosts: readonly VirtualHostConfig[]): void {
  const seen = new Set<string>();
  const routeName = node.string('name');
  virtualHosts.forEach((vhost, i) => {
    vhost.domains.forEach((domain, j) => {
      const at = `virtual_hosts[${i}].domains[${j}]`;
      if (domain === '*' && seen.has('*')) {
        throw node.error(
          ErrorCode.configInvalid,
          `Only a single wildcard domain is permitted in route ${routeName}`,
          at,
        );
      }
      if (seen.has(domain)) {
        throw node.error(
          ErrorCode.configInvalid,
          `Only unique values for domains are permitted. Duplicate entry of domain ${domain} in route ${routeName}`,
          at,
        );
      }
      seen.add(domain);
    });
  });
}

/** `RouteEntryImplBase::validateClusters`: explicit cluster names must exist (headers are not checked). */
function checkClusters(
  node: ConfigNode,
  virtualHosts: readonly VirtualHostConfig[],
  known: ReadonlySet<string>,
): void {
  virtualHosts.forEach((vhost, i) => {
    vhost.routes.forEach((route, j) => {
      const action = route.action;
      if (action.kind !== 'route') return;
      const at = `virtual_hosts[${i}].routes[${j}].route`;
      if (action.cluster.kind === 'cluster' && !known.has(action.cluster.name)) {
        throw node.error(
          ErrorCode.configInvalid,
          `route: unknown cluster '${action.cluster.name}'`,
          `${at}.cluster`,
        );
      }
      if (action.cluster.kind === 'weighted') {
        action.cluster.clusters.forEach((weighted, k) => {
          if (!known.has(weighted.name)) {
            throw node.error(
              ErrorCode.configInvalid,
              `route: unknown weighted cluster '${weighted.name}'`,
              `${at}.weighted_clusters.clusters[${k}].name`,
            );
          }
        });
      }
    });
  });
}

/** Builds from a normalized RouteConfiguration node (used by the HTTP connection manager builder). */
export function buildRouteConfigurationNode(
  node: ConfigNode,
  options: RouteBuildOptions = {},
): RouteConfiguration {
  // `metadata` is informational (see buildRoute).
  node.allowOnly(
    [
      'name',
      'virtual_hosts',
      'request_headers_to_add',
      'request_headers_to_remove',
      'response_headers_to_add',
      'response_headers_to_remove',
      'validate_clusters',
      'max_direct_response_body_size_bytes',
    ],
    ['metadata'],
  );
  const maxBodyBytes = node.number('max_direct_response_body_size_bytes', defaultMaxDirectResponseBodyBytes);
  const virtualHosts = node.children('virtual_hosts').map((vhost) => buildVirtualHost(vhost, maxBodyBytes));
  checkDomains(node, virtualHosts);
  const validateClusters = node.boolean('validate_clusters', options.validateClustersByDefault ?? false);
  if (validateClusters && options.knownClusters !== undefined)
    checkClusters(node, virtualHosts, options.knownClusters);
  return {
    name: node.string('name'),
    virtualHosts,
    requestHeadersToAdd: buildHeadersToAdd(node, 'request_headers_to_add'),
    requestHeadersToRemove: buildHeadersToRemove(node, 'request_headers_to_remove'),
    responseHeadersToAdd: buildHeadersToAdd(node, 'response_headers_to_add'),
    responseHeadersToRemove: buildHeadersToRemove(node, 'response_headers_to_remove'),
  };
}

/** Validates and builds a RouteConfiguration (inline, or an RDS resource). */
export function buildRouteConfiguration(
  json: unknown,
  location: ConfigLocation,
  options: RouteBuildOptions = {},
): RouteConfiguration {
  return buildRouteConfigurationNode(
    ConfigNode.at(validateResource(routeConfigurationType, json, location), location),
    options,
  );
}
