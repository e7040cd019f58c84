/**
 * Consistency of one proxy's resource set before it is served (go-control-plane's
 * `Snapshot.Consistent`, plus the EDS rules of Envoy and gRPC, real-peers.md §1.3): names match
 * their keys, every EDS cluster has an assignment, every RDS name a listener uses exists, every
 * route names an existing cluster, priorities run 0..k-1 without gaps, every locality is weighted
 * (gRPC drops unweighted ones silently), no locality twice within one priority, unique virtual host
 * names and domains. Returns every problem found, each with a JSON path.
 *
 * Cost: a control plane checks every proxy's set on every change, and most of a set is shared by
 * many proxies (translation hands out the same resource objects and maps). A long-lived
 * {@link ResourceSetChecker} therefore reads each resource once - what is wrong with it on its own
 * and which other resources it refers to, in the order the problems are reported - and remembers
 * the problems of a whole type's map against the maps it refers to when all of them are sealed
 * (`sealResourceMap`), so a set made of maps already checked costs a few lookups. Resources handed
 * to it must not change afterwards (xDS resources never do once made); `checkResourceSet` checks
 * from scratch.
 */
import {
  isSealedResourceMap,
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
type ResourceMap = ReadonlyMap<string, XdsResourceJson>;

/**
 * What a resource needs to be consistent, in report order: a problem it has on its own, or a
 * reference to a resource of another type that must be in the set (`assignment` and `route`
 * references fail when that type is missing; `cluster` references are skipped then).
 */
type Finding =
  | { readonly path: string; readonly problem: string; readonly ref?: undefined }
  | {
      readonly path: string;
      readonly problem: string;
      readonly ref: 'assignment' | 'route' | 'cluster';
      readonly target: string;
    };

interface Analysis {
  readonly typeUrl: string;
  /** `xdsResourceName(resource)`, compared with the key it is filed under. */
  readonly name: unknown;
  readonly findings: readonly Finding[];
}

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

function routeConfigFindings(rc: Json, out: Finding[], prefix: string): void {
  const vhostNames = new Set<string>();
  const domains = new Set<string>();
  list(rc['virtual_hosts']).forEach((vhost, i) => {
    const vpath = `${prefix}virtual_hosts[${i}]`;
    const name = String(vhost['name'] ?? '');
    if (vhostNames.has(name))
      out.push({ path: `${vpath}.name`, problem: `duplicate virtual host name ${JSON.stringify(name)}` });
    vhostNames.add(name);
    ((vhost['domains'] as unknown[] | undefined) ?? []).forEach((d, j) => {
      const domain = String(d).toLowerCase();
      if (domains.has(domain))
        out.push({ path: `${vpath}.domains[${j}]`, problem: `duplicate domain ${JSON.stringify(domain)}` });
      domains.add(domain);
    });
    list(vhost['routes']).forEach((route, j) => {
      const action = route['route'];
      if (!isRecord(action)) return;
      const rpath = `${vpath}.routes[${j}].route`;
      const cluster = (target: string, path: string): Finding => ({
        path,
        problem: `route names cluster ${JSON.stringify(target)}, which is not in the set`,
        ref: 'cluster',
        target,
      });
      if (typeof action['cluster'] === 'string') out.push(cluster(action['cluster'], `${rpath}.cluster`));
      const weighted = action['weighted_clusters'];
      if (isRecord(weighted)) {
        list(weighted['clusters']).forEach((c, k) =>
          out.push(cluster(String(c['name']), `${rpath}.weighted_clusters.clusters[${k}].name`)),
        );
      }
    });
  });
}

function assignmentFindings(cla: Json, out: Finding[]): void {
  const priorities = new Set<number>();
  const seen = new Set<string>();
  list(cla['endpoints']).forEach((group, i) => {
    const priority = typeof group['priority'] === 'number' ? group['priority'] : 0;
    priorities.add(priority);
    const weight = group['load_balancing_weight'];
    if (typeof weight !== 'number' || weight < 1)
      out.push({
        path: `endpoints[${i}].load_balancing_weight`,
        problem: 'locality without a load_balancing_weight >= 1 (gRPC drops it silently)',
      });
    const locality = isRecord(group['locality']) ? group['locality'] : undefined;
    if (locality === undefined)
      out.push({ path: `endpoints[${i}].locality`, problem: 'locality missing (gRPC NACKs it)' });
    const key = `${priority}|${String(locality?.['region'] ?? '')}/${String(locality?.['zone'] ?? '')}/${String(locality?.['sub_zone'] ?? '')}`;
    if (seen.has(key))
      out.push({
        path: `endpoints[${i}]`,
        problem: `locality ${key.slice(key.indexOf('|') + 1)} appears twice in priority ${priority}`,
      });
    seen.add(key);
  });
  const sorted = [...priorities].sort((a, b) => a - b);
  sorted.forEach((p, i) => {
    if (p !== i)
      out.push({ path: 'endpoints', problem: `priorities are not contiguous from 0: ${sorted.join(', ')}` });
  });
}

function analyse(typeUrl: string, resource: XdsResourceJson): Analysis {
  const findings: Finding[] = [];
  if (resource['@type'] !== typeUrl)
    findings.push({
      path: '@type',
      problem: `resource has @type ${JSON.stringify(resource['@type'])} under ${typeUrl}`,
    });
  const name = xdsResourceName(resource);
  // The name check comes next; it depends on the key, so `evaluate` inserts it (marked by index).
  if (typeUrl === XdsTypeUrl.cluster && resource['type'] === 'EDS') {
    const eds = isRecord(resource['eds_cluster_config']) ? resource['eds_cluster_config'] : {};
    const serviceName =
      typeof eds['service_name'] === 'string' && eds['service_name'] !== '' ? eds['service_name'] : undefined;
    findings.push({
      path: 'eds_cluster_config.service_name',
      problem: '',
      ref: 'assignment',
      // undefined service name: the cluster's own key (filled in by `evaluate`).
      target: serviceName ?? '',
    });
  }
  if (typeUrl === XdsTypeUrl.clusterLoadAssignment) assignmentFindings(resource, findings);
  if (typeUrl === XdsTypeUrl.routeConfiguration) routeConfigFindings(resource, findings, '');
  if (typeUrl === XdsTypeUrl.listener) {
    for (const { hcm, path } of connectionManagers(resource)) {
      const rds = hcm['rds'];
      if (isRecord(rds)) {
        const routeName = String(rds['route_config_name'] ?? '');
        findings.push({
          path: `${path}.rds.route_config_name`,
          problem: `listener uses RouteConfiguration ${JSON.stringify(routeName)}, which is not in the set`,
          ref: 'route',
          target: routeName,
        });
      }
      if (isRecord(hcm['route_config']))
        routeConfigFindings(hcm['route_config'], findings, `${path}.route_config.`);
    }
  }
  return { typeUrl, name, findings };
}

/** Stands for "this type is not in the set" in the cache keys. */
const absent: ResourceMap = new Map();

export class ResourceSetChecker {
  private readonly analyses = new WeakMap<object, Analysis>();
  /** type URL -> its map -> first dependency map -> second dependency map -> problems. */
  private readonly groups = new Map<
    string,
    WeakMap<ResourceMap, WeakMap<ResourceMap, WeakMap<ResourceMap, readonly ResourceSetProblem[]>>>
  >();

  constructor(private readonly isCaching = true) {}

  check(set: XdsResourceSet): ResourceSetProblem[] {
    const clusters = set.get(XdsTypeUrl.cluster);
    const assignments = set.get(XdsTypeUrl.clusterLoadAssignment);
    const routes = set.get(XdsTypeUrl.routeConfiguration);
    const problems: ResourceSetProblem[] = [];
    for (const [typeUrl, resources] of set) {
      // What each type refers to: CDS -> EDS, RDS -> CDS, LDS -> RDS and CDS (inline routes).
      const [first, second] =
        typeUrl === XdsTypeUrl.cluster
          ? [assignments, undefined]
          : typeUrl === XdsTypeUrl.routeConfiguration
            ? [clusters, undefined]
            : typeUrl === XdsTypeUrl.listener
              ? [routes, clusters]
              : [undefined, undefined];
      problems.push(...this.group(typeUrl, resources, first, second, clusters, assignments, routes));
    }
    return problems;
  }

  private group(
    typeUrl: string,
    resources: ResourceMap,
    first: ResourceMap | undefined,
    second: ResourceMap | undefined,
    clusters: ResourceMap | undefined,
    assignments: ResourceMap | undefined,
    routes: ResourceMap | undefined,
  ): readonly ResourceSetProblem[] {
    const isFinal = (m: ResourceMap | undefined): boolean => m === undefined || isSealedResourceMap(m);
    // Only sealed maps are remembered: nothing else promises to stay as it is.
    if (!this.isCaching || !isFinal(resources) || !isFinal(first) || !isFinal(second))
      return this.evaluate(typeUrl, resources, clusters, assignments, routes);
    let byMap = this.groups.get(typeUrl);
    if (byMap === undefined) this.groups.set(typeUrl, (byMap = new WeakMap()));
    let byFirst = byMap.get(resources);
    if (byFirst === undefined) byMap.set(resources, (byFirst = new WeakMap()));
    let bySecond = byFirst.get(first ?? absent);
    if (bySecond === undefined) byFirst.set(first ?? absent, (bySecond = new WeakMap()));
    let problems = bySecond.get(second ?? absent);
    if (problems === undefined) {
      problems = this.evaluate(typeUrl, resources, clusters, assignments, routes);
      bySecond.set(second ?? absent, problems);
    }
    return problems;
  }

  private analysis(typeUrl: string, resource: XdsResourceJson): Analysis {
    if (!this.isCaching || typeof resource !== 'object' || resource === null)
      return analyse(typeUrl, resource);
    let analysis = this.analyses.get(resource);
    if (analysis === undefined || analysis.typeUrl !== typeUrl) {
      analysis = analyse(typeUrl, resource);
      this.analyses.set(resource, analysis);
    }
    return analysis;
  }

  private evaluate(
    typeUrl: string,
    resources: ResourceMap,
    clusters: ResourceMap | undefined,
    assignments: ResourceMap | undefined,
    routes: ResourceMap | undefined,
  ): ResourceSetProblem[] {
    const problems: ResourceSetProblem[] = [];
    for (const [name, resource] of resources) {
      const analysis = this.analysis(typeUrl, resource);
      const at = (path: string, problem: string): void => {
        problems.push({ typeUrl, name, path, problem });
      };
      let isNameChecked = false;
      const checkName = (): void => {
        isNameChecked = true;
        if (analysis.name !== name)
          at('', `resource is named ${JSON.stringify(analysis.name)} but keyed ${JSON.stringify(name)}`);
      };
      for (const finding of analysis.findings) {
        // The @type problem (if any) is reported before the name problem, everything else after.
        if (!isNameChecked && finding.path !== '@type') checkName();
        switch (finding.ref) {
          case undefined:
            at(finding.path, finding.problem);
            break;
          case 'assignment': {
            const target = finding.target === '' ? name : finding.target;
            if (assignments?.has(target) !== true)
              at(finding.path, `EDS cluster has no ClusterLoadAssignment ${JSON.stringify(target)}`);
            break;
          }
          case 'route':
            if (routes?.has(finding.target) !== true) at(finding.path, finding.problem);
            break;
          case 'cluster':
            if (clusters !== undefined && !clusters.has(finding.target)) at(finding.path, finding.problem);
            break;
        }
      }
      if (!isNameChecked) checkName();
    }
    return problems;
  }
}

/** Checks a set from scratch (nothing remembered between calls). */
export function checkResourceSet(set: XdsResourceSet): ResourceSetProblem[] {
  return new ResourceSetChecker(false).check(set);
}
