/**
 * Consistency of one proxy's resource set before it is served (go-control-plane's
 * `Snapshot.Consistent`, plus the EDS rules of Envoy and gRPC, real-peers.md §1.3): names match
 * their keys, every EDS cluster has an assignment, every RDS name a listener uses exists, every
 * route names an existing cluster, priorities run 0..k-1 without gaps, every locality is weighted
 * (gRPC drops unweighted ones silently), no locality twice within one priority, unique virtual host
 * names and domains. Returns every problem found, each with a JSON path.
 */
import {
  XdsTypeUrl,
  xdsResourceName,
  type XdsResourceJson,
  type XdsResourceSet,
} from '../envoy/xds-resource.js';

export interface ResourceSetProblem {
  readonly typeUrl: string;
  readonly name: string;
  /** JSON path inside the resource (`endpoints[2].load_balancing_weight`), '' for the resource itself. */
  readonly path: string;
  readonly problem: string;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The HCM of a listener: the api_listener (gRPC) or each filter chain's connection manager. */
function connectionManagers(listener: Json): { hcm: Json; path: string }[] {
  const out: { hcm: Json; path: string }[] = [];
  const api = listener['api_listener'];
  if (isRecord(api) && isRecord(api['api_listener']))
    out.push({ hcm: api['api_listener'], path: 'api_listener.api_listener' });
  list(listener['filter_chains']).forEach((chain, i) =>
    list(chain['filters']).forEach((filter, j) => {
      if (isRecord(filter['typed_config']))
        out.push({ hcm: filter['typed_config'], path: `filter_chains[${i}].filters[${j}].typed_config` });
    }),
  );
  return out;
}

function routeConfigProblems(
  rc: Json,
  clusters: ReadonlyMap<string, XdsResourceJson> | undefined,
  at: (path: string, problem: string) => void,
  prefix: string,
): void {
  const vhostNames = new Set<string>();
  const domains = new Set<string>();
  list(rc['virtual_hosts']).forEach((vhost, i) => {
    const vpath = `${prefix}virtual_hosts[${i}]`;
    const name = String(vhost['name'] ?? '');
    if (vhostNames.has(name)) at(`${vpath}.name`, `duplicate virtual host name ${JSON.stringify(name)}`);
    vhostNames.add(name);
    ((vhost['domains'] as unknown[] | undefined) ?? []).forEach((d, j) => {
      const domain = String(d).toLowerCase();
      if (domains.has(domain)) at(`${vpath}.domains[${j}]`, `duplicate domain ${JSON.stringify(domain)}`);
      domains.add(domain);
    });
    list(vhost['routes']).forEach((route, j) => {
      const action = route['route'];
      if (!isRecord(action) || clusters === undefined) return;
      const rpath = `${vpath}.routes[${j}].route`;
      if (typeof action['cluster'] === 'string' && !clusters.has(action['cluster']))
        at(
          `${rpath}.cluster`,
          `route names cluster ${JSON.stringify(action['cluster'])}, which is not in the set`,
        );
      const weighted = action['weighted_clusters'];
      if (isRecord(weighted)) {
        list(weighted['clusters']).forEach((c, k) => {
          if (!clusters.has(String(c['name'])))
            at(
              `${rpath}.weighted_clusters.clusters[${k}].name`,
              `route names cluster ${JSON.stringify(c['name'])}, which is not in the set`,
            );
        });
      }
    });
  });
}

function assignmentProblems(cla: Json, at: (path: string, problem: string) => void): void {
  const priorities = new Set<number>();
  const seen = new Set<string>();
  list(cla['endpoints']).forEach((group, i) => {
    const priority = typeof group['priority'] === 'number' ? group['priority'] : 0;
    priorities.add(priority);
    const weight = group['load_balancing_weight'];
    if (typeof weight !== 'number' || weight < 1)
      at(
        `endpoints[${i}].load_balancing_weight`,
        'locality without a load_balancing_weight >= 1 (gRPC drops it silently)',
      );
    const locality = isRecord(group['locality']) ? group['locality'] : undefined;
    if (locality === undefined) at(`endpoints[${i}].locality`, 'locality missing (gRPC NACKs it)');
    const key = `${priority}|${String(locality?.['region'] ?? '')}/${String(locality?.['zone'] ?? '')}/${String(locality?.['sub_zone'] ?? '')}`;
    if (seen.has(key))
      at(
        `endpoints[${i}]`,
        `locality ${key.slice(key.indexOf('|') + 1)} appears twice in priority ${priority}`,
      );
    seen.add(key);
  });
  const sorted = [...priorities].sort((a, b) => a - b);
  sorted.forEach((p, i) => {
    if (p !== i) at('endpoints', `priorities are not contiguous from 0: ${sorted.join(', ')}`);
  });
}

export function checkResourceSet(set: XdsResourceSet): ResourceSetProblem[] {
  const problems: ResourceSetProblem[] = [];
  const clusters = set.get(XdsTypeUrl.cluster);
  const assignments = set.get(XdsTypeUrl.clusterLoadAssignment);
  const routes = set.get(XdsTypeUrl.routeConfiguration);
  for (const [typeUrl, resources] of set) {
    for (const [name, resource] of resources) {
      const at = (path: string, problem: string) => problems.push({ typeUrl, name, path, problem });
      if (resource['@type'] !== typeUrl)
        at('@type', `resource has @type ${JSON.stringify(resource['@type'])} under ${typeUrl}`);
      if (xdsResourceName(resource) !== name)
        at(
          '',
          `resource is named ${JSON.stringify(xdsResourceName(resource))} but keyed ${JSON.stringify(name)}`,
        );
      if (typeUrl === XdsTypeUrl.cluster && resource['type'] === 'EDS') {
        const eds = isRecord(resource['eds_cluster_config']) ? resource['eds_cluster_config'] : {};
        const serviceName =
          typeof eds['service_name'] === 'string' && eds['service_name'] !== '' ? eds['service_name'] : name;
        if (assignments?.has(serviceName) !== true)
          at(
            'eds_cluster_config.service_name',
            `EDS cluster has no ClusterLoadAssignment ${JSON.stringify(serviceName)}`,
          );
      }
      if (typeUrl === XdsTypeUrl.clusterLoadAssignment) assignmentProblems(resource, at);
      if (typeUrl === XdsTypeUrl.routeConfiguration) routeConfigProblems(resource, clusters, at, '');
      if (typeUrl === XdsTypeUrl.listener) {
        for (const { hcm, path } of connectionManagers(resource)) {
          const rds = hcm['rds'];
          if (isRecord(rds)) {
            const routeName = String(rds['route_config_name'] ?? '');
            if (routes?.has(routeName) !== true)
              at(
                `${path}.rds.route_config_name`,
                `listener uses RouteConfiguration ${JSON.stringify(routeName)}, which is not in the set`,
              );
          }
          if (isRecord(hcm['route_config']))
            routeConfigProblems(hcm['route_config'], clusters, at, `${path}.route_config.`);
        }
      }
    }
  }
  return problems;
}
