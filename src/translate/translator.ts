/**
 * Istio config + registry -> one proxy's xDS resources, with the pieces that many proxies share
 * computed once (ADR 0008 "Cost"). Everything here is a pure function of its inputs; caches are
 * keyed by the identity of the immutable snapshot parts they were derived from (WeakMaps), so a
 * new snapshot part simply misses and the old entries are collected with it:
 *
 * - the Istio snapshot + mesh config -> `ConfigIndex` (DestinationRule/VirtualService lookups);
 * - registry `services` map x ConfigIndex x (proxy namespace, flavor, cluster) -> the namespace view:
 *   visible services, outbound cluster plans and the shared cluster map, route configurations;
 * - a service's endpoint array -> locality groups per (port, subset, health mode);
 * - registry `endpoints` map x namespace view x (proxy locality, failover labels) -> the shared
 *   ClusterLoadAssignment map: proxies of one namespace in one zone share it.
 */
import { localityKey } from '../core/locality.js';
import {
  sealResourceMap,
  XdsTypeUrl,
  type XdsResourceJson,
  type XdsResourceSet,
} from '../envoy/xds-resource.js';
import type { IstioConfigSnapshot, MeshConfig } from '../istio/istio-config.js';
import type { MeshEndpoint, MeshService, RegistrySnapshot } from '../registry/mesh-model.js';
import { ConfigIndex, type ConfigRef } from './config-index.js';
import { gatewayResources } from './gateway-config.js';
import { grpcListeners } from './grpc-listeners.js';
import { isVisibleTo } from './hostnames.js';
import { LayeredMap } from './layered-map.js';
import {
  applyLocalityLb,
  clusterLoadAssignmentResource,
  groupByLocality,
  selectEndpoints,
} from './load-assignment.js';
import type { LocalityGroup } from './locality-priorities.js';
import {
  buildOutboundClusters,
  type ClusterExplanation,
  type ClusterFlavor,
  type OutboundClusterPlan,
} from './outbound-cluster.js';
import type { ProxyContext } from './proxy-context.js';
import { proxyServiceTargets } from './proxy-service-targets.js';
import { sameServiceMaps } from './service-equivalence.js';
import { isProxylessGrpc } from './resolve-proxy-context.js';
import { httpProxyListener, inboundResources } from './sidecar-listeners.js';
import {
  grpcRouteConfiguration,
  httpProxyRouteConfiguration,
  httpProxyRouteName,
  outboundVirtualHosts,
  sortVirtualHosts,
  type OutboundRouteInput,
} from './sidecar-routes.js';
import type { AssignmentExplanation, TranslationExplanation } from './translation-explanation.js';

type Json = Record<string, unknown>;

export interface TranslationInput {
  readonly registry: RegistrySnapshot;
  readonly istio: IstioConfigSnapshot;
  readonly mesh: MeshConfig;
  readonly proxy: ProxyContext;
}

export interface TranslationResult {
  readonly resources: XdsResourceSet;
  readonly explanation: TranslationExplanation;
}

/** Shared by every proxy of one namespace, flavor and cluster. */
interface NamespaceView {
  readonly services: readonly MeshService[];
  readonly plans: readonly OutboundClusterPlan[];
  readonly clusters: ReadonlyMap<string, XdsResourceJson>;
  readonly clusterExplanations: ReadonlyMap<string, ClusterExplanation>;
  /** failoverPriority label keys any plan uses: the proxy labels its assignments depend on. */
  readonly failoverLabelKeys: readonly string[];
  readonly routeInputBase: Omit<OutboundRouteInput, 'proxyLabels'>;
  readonly usesSourceLabels: boolean;
  readonly routes: Map<string, RouteSet>;
  readonly assignments: WeakMap<ReadonlyMap<string, readonly MeshEndpoint[]>, Map<string, AssignmentSet>>;
  /** Per assignment key, the last set built and the endpoints it was built from. */
  readonly lastAssignments: Map<
    string,
    { readonly endpoints: ReadonlyMap<string, readonly MeshEndpoint[]>; readonly set: AssignmentSet }
  >;
}

interface RouteSet {
  readonly routes: ReadonlyMap<string, XdsResourceJson>;
  readonly listeners: ReadonlyMap<string, XdsResourceJson>;
  readonly sources: ReadonlyMap<string, readonly ConfigRef[]>;
}

interface AssignmentSet {
  readonly assignments: ReadonlyMap<string, XdsResourceJson>;
  readonly explanations: ReadonlyMap<string, AssignmentExplanation>;
}

const emptyMap: ReadonlyMap<string, XdsResourceJson> = sealResourceMap(new Map());

function flavorOf(proxy: ProxyContext): ClusterFlavor {
  if (isProxylessGrpc(proxy)) return 'grpc';
  return proxy.type === 'router' ? 'router' : 'sidecar';
}

function asResource(json: Json): XdsResourceJson {
  return json as XdsResourceJson;
}

function toMap(resources: readonly Json[], nameField = 'name'): Map<string, XdsResourceJson> {
  const out = new Map<string, XdsResourceJson>();
  for (const r of resources) {
    const name = r[nameField] as string;
    // Istio keeps the first of duplicated names (normalizeClusters / duplicate vhost handling).
    if (!out.has(name)) out.set(name, asResource(r));
  }
  return out;
}

export class Translator {
  private readonly indexes = new WeakMap<IstioConfigSnapshot, WeakMap<MeshConfig, ConfigIndex>>();
  private readonly views = new WeakMap<
    ReadonlyMap<string, MeshService>,
    WeakMap<ConfigIndex, Map<string, NamespaceView>>
  >();
  /** A registry services map -> the first seen map with the same content (the views' cache key). */
  private readonly canonical = new WeakMap<
    ReadonlyMap<string, MeshService>,
    ReadonlyMap<string, MeshService>
  >();
  private lastServices: ReadonlyMap<string, MeshService> | undefined;
  private readonly proxyListeners = new Map<string, XdsResourceJson>();
  private readonly groups = new WeakMap<readonly MeshEndpoint[], Map<string, LocalityGroup[]>>();
  private readonly claCache = new WeakMap<
    LocalityGroup[],
    Map<string, { resource: XdsResourceJson; explanation: AssignmentExplanation }>
  >();

  /** The resources of one proxy (Listener, RouteConfiguration, Cluster, ClusterLoadAssignment) and where they came from. */
  translate(input: TranslationInput): TranslationResult {
    const { registry, proxy } = input;
    const index = this.configIndex(input.istio, input.mesh);
    const flavor = flavorOf(proxy);
    const view = this.namespaceView(registry, index, proxy.namespace, flavor, proxy.clusterId);
    const assignmentSet = this.assignmentSet(view, registry, proxy);
    const listeners = new Map<string, XdsResourceJson>();
    const routes = new Map<string, XdsResourceJson>();
    const extraClusters = new Map<string, XdsResourceJson>();
    const routeSources = new Map<string, readonly ConfigRef[]>();
    let sharedRoutes: RouteSet | undefined;
    const lookupService = (h: string) => registry.services.get(h);
    if (flavor === 'grpc') {
      sharedRoutes = this.grpcRoutes(view, proxy);
    } else if (flavor === 'router') {
      const targets = proxyServiceTargets(registry, proxy);
      const gw = gatewayResources(proxy, index, targets, lookupService);
      for (const l of gw.listeners) listeners.set(l['name'] as string, asResource(l));
      for (const r of gw.routeConfigurations) routes.set(r['name'] as string, asResource(r));
      for (const [k, v] of gw.sources) routeSources.set(k, v);
    } else {
      sharedRoutes = this.sidecarRoutes(view, proxy);
      const listener = this.httpProxyListener(proxy);
      listeners.set(listener['name'] as string, asResource(listener));
      const inbound = inboundResources(proxy, proxyServiceTargets(registry, proxy), index, input.mesh);
      for (const l of inbound.listeners) listeners.set(l['name'] as string, asResource(l));
      for (const c of inbound.clusters) extraClusters.set(c['name'] as string, asResource(c));
    }
    if (sharedRoutes !== undefined) for (const [k, v] of sharedRoutes.sources) routeSources.set(k, v);
    const resources: XdsResourceSet = new Map([
      [XdsTypeUrl.cluster, LayeredMap.of(view.clusters, extraClusters)],
      [XdsTypeUrl.clusterLoadAssignment, assignmentSet.assignments],
      [XdsTypeUrl.listener, LayeredMap.of(sharedRoutes?.listeners ?? emptyMap, listeners)],
      [XdsTypeUrl.routeConfiguration, LayeredMap.of(sharedRoutes?.routes ?? emptyMap, routes)],
    ]);
    return {
      resources,
      explanation: {
        clusters: view.clusterExplanations,
        assignments: assignmentSet.explanations,
        routes: routeSources,
        proxy: { locality: localityKey(proxy.locality), namespace: proxy.namespace, flavor },
      },
    };
  }

  private configIndex(istio: IstioConfigSnapshot, mesh: MeshConfig): ConfigIndex {
    let byMesh = this.indexes.get(istio);
    if (byMesh === undefined) {
      byMesh = new WeakMap();
      this.indexes.set(istio, byMesh);
    }
    let index = byMesh.get(mesh);
    if (index === undefined) {
      index = new ConfigIndex(istio, mesh);
      byMesh.set(mesh, index);
    }
    return index;
  }

  private namespaceView(
    registry: RegistrySnapshot,
    index: ConfigIndex,
    namespace: string,
    flavor: ClusterFlavor,
    clusterId: string,
  ): NamespaceView {
    const services = this.canonicalServices(registry.services);
    let byIndex = this.views.get(services);
    if (byIndex === undefined) {
      byIndex = new WeakMap();
      this.views.set(services, byIndex);
    }
    let byKey = byIndex.get(index);
    if (byKey === undefined) {
      byKey = new Map();
      byIndex.set(index, byKey);
    }
    const key = `${flavor}|${namespace}|${clusterId}`;
    let view = byKey.get(key);
    if (view === undefined) {
      view = buildNamespaceView(services, index, namespace, flavor, clusterId);
      byKey.set(key, view);
    }
    return view;
  }

  /**
   * The registry copies its services map on every endpoint change too; a map with the same
   * services as the previous one maps to that one, so the namespace views built from it (clusters,
   * routes: O(services) each) are reused. Compared once per registry snapshot, not per proxy.
   */
  private canonicalServices(services: ReadonlyMap<string, MeshService>): ReadonlyMap<string, MeshService> {
    let canonical = this.canonical.get(services);
    if (canonical === undefined) {
      const last = this.lastServices;
      canonical = last !== undefined && sameServiceMaps(last, services) ? last : services;
      this.canonical.set(services, canonical);
      this.lastServices = canonical;
    }
    return canonical;
  }

  /**
   * The outbound HTTP-proxy listener depends on the proxy's localhost address only: one object per
   * address, so the xDS store and the consistency check recognise it instead of re-reading it
   * for every proxy on every recompute.
   */
  private httpProxyListener(proxy: ProxyContext): XdsResourceJson {
    let listener = this.proxyListeners.get(proxy.localhostAddress);
    if (listener === undefined) {
      // Bounded: lab workloads each have their own address; a churning fleet must not grow it forever.
      if (this.proxyListeners.size >= 10_000) this.proxyListeners.clear();
      listener = asResource(httpProxyListener(proxy));
      this.proxyListeners.set(proxy.localhostAddress, listener);
    }
    return listener;
  }

  private sidecarRoutes(view: NamespaceView, proxy: ProxyContext): RouteSet {
    const key = view.usesSourceLabels ? JSON.stringify(Object.entries(proxy.labels).sort()) : '';
    let set = view.routes.get(key);
    if (set === undefined) {
      const route = httpProxyRouteConfiguration({ ...view.routeInputBase, proxyLabels: proxy.labels });
      const refs = view.routeInputBase.virtualServices.map((vs) => vs.ref);
      set = {
        routes: sealResourceMap(toMap([route])),
        listeners: emptyMap,
        sources: new Map([[httpProxyRouteName, refs]]),
      };
      view.routes.set(key, set);
    }
    return set;
  }

  private grpcRoutes(view: NamespaceView, proxy: ProxyContext): RouteSet {
    const key = view.usesSourceLabels ? JSON.stringify(Object.entries(proxy.labels).sort()) : '';
    let set = view.routes.get(key);
    if (set === undefined) {
      const input: OutboundRouteInput = { ...view.routeInputBase, proxyLabels: proxy.labels };
      const byPort = new Map<number, Json[]>();
      const routeConfigs: Json[] = [];
      const listeners: Json[] = [];
      const sources = new Map<string, readonly ConfigRef[]>();
      for (const service of view.services) {
        listeners.push(...grpcListeners(service, proxy.namespace, proxy.clusterId));
        for (const port of service.ports) {
          if (port.protocol === 'UDP') continue;
          let vhosts = byPort.get(port.port);
          if (vhosts === undefined) {
            vhosts = sortVirtualHosts(outboundVirtualHosts(input, port.port));
            byPort.set(port.port, vhosts);
          }
          const name = `outbound|${port.port}||${service.hostname}`;
          routeConfigs.push(grpcRouteConfiguration(name, vhosts));
          sources.set(
            name,
            view.routeInputBase.virtualServices.map((vs) => vs.ref),
          );
        }
      }
      set = {
        routes: sealResourceMap(toMap(routeConfigs)),
        listeners: sealResourceMap(toMap(listeners)),
        sources,
      };
      view.routes.set(key, set);
    }
    return set;
  }

  private assignmentSet(view: NamespaceView, registry: RegistrySnapshot, proxy: ProxyContext): AssignmentSet {
    let byProxyKey = view.assignments.get(registry.endpoints);
    if (byProxyKey === undefined) {
      byProxyKey = new Map();
      view.assignments.set(registry.endpoints, byProxyKey);
    }
    const labelValues = view.failoverLabelKeys.map((k) => proxy.labels[k] ?? '\u0000');
    const key = JSON.stringify([
      proxy.locality.region,
      proxy.locality.zone,
      proxy.locality.subZone,
      labelValues,
    ]);
    let set = byProxyKey.get(key);
    if (set === undefined) {
      // The set this key had for the previous endpoints: a plan whose service kept its endpoint
      // array (the registry keeps unchanged ones) keeps its assignment, so an endpoint change
      // recomputes one service per key, not all of them.
      const previous = view.lastAssignments.get(key);
      const assignments = new Map<string, XdsResourceJson>();
      const explanations = new Map<string, AssignmentExplanation>();
      for (const plan of view.plans) {
        const hostname = plan.service.hostname;
        const kept = previous?.endpoints.get(hostname) === registry.endpoints.get(hostname);
        const resource = kept ? previous?.set.assignments.get(plan.name) : undefined;
        const explanation = kept ? previous?.set.explanations.get(plan.name) : undefined;
        if (resource !== undefined && explanation !== undefined) {
          assignments.set(plan.name, resource);
          explanations.set(plan.name, explanation);
          continue;
        }
        const computed = this.assignment(plan, registry, proxy);
        assignments.set(plan.name, computed.resource);
        explanations.set(plan.name, computed.explanation);
      }
      set = { assignments: sealResourceMap(assignments), explanations };
      byProxyKey.set(key, set);
      view.lastAssignments.set(key, { endpoints: registry.endpoints, set });
    }
    return set;
  }

  private baseGroups(plan: OutboundClusterPlan, endpoints: readonly MeshEndpoint[]): LocalityGroup[] {
    let byKey = this.groups.get(endpoints);
    if (byKey === undefined) {
      byKey = new Map();
      this.groups.set(endpoints, byKey);
    }
    const key = JSON.stringify([plan.port.name, plan.subsetLabels ?? null, plan.includeUnhealthy, plan.mtls]);
    let groups = byKey.get(key);
    if (groups === undefined) {
      const selected = selectEndpoints(endpoints, {
        servicePortName: plan.port.name,
        subsetLabels: plan.subsetLabels,
        includeUnhealthy: plan.includeUnhealthy,
        mtls: plan.mtls,
      });
      groups = groupByLocality(selected, plan.mtls);
      byKey.set(key, groups);
    }
    return groups;
  }

  private assignment(
    plan: OutboundClusterPlan,
    registry: RegistrySnapshot,
    proxy: ProxyContext,
  ): { resource: XdsResourceJson; explanation: AssignmentExplanation } {
    const base = this.baseGroups(plan, registry.endpoints.get(plan.service.hostname) ?? []);
    let byKey = this.claCache.get(base);
    if (byKey === undefined) {
      byKey = new Map();
      this.claCache.set(base, byKey);
    }
    const setting = plan.decision.setting;
    const mode: AssignmentExplanation['mode'] =
      setting === undefined
        ? 'flat'
        : (setting.distribute?.length ?? 0) > 0
          ? 'distribute'
          : !plan.decision.enableFailover
            ? 'flat'
            : (setting.failoverPriority?.length ?? 0) > 0
              ? 'failover-priority'
              : 'failover';
    const fpKeys =
      mode === 'failover-priority' ? (setting?.failoverPriority ?? []).map((e) => e.split('=')[0] ?? '') : [];
    const key = JSON.stringify([
      plan.name,
      mode,
      mode === 'flat' ? '' : JSON.stringify(setting),
      mode === 'flat' ? '' : [proxy.locality.region, proxy.locality.zone, proxy.locality.subZone],
      fpKeys.map((k) => proxy.labels[k] ?? null),
      mode === 'failover-priority' ? Object.keys(proxy.labels).length === 0 : false,
    ]);
    let cached = byKey.get(key);
    if (cached === undefined) {
      const groups = applyLocalityLb(base, plan.decision, proxy);
      const resource = asResource(clusterLoadAssignmentResource(plan.name, groups));
      const reason =
        mode === 'flat'
          ? plan.decision.setting === undefined
            ? 'locality load balancing disabled'
            : 'no outlierDetection in the effective traffic policy: every locality at priority 0'
          : plan.decision.source === 'traffic-distribution'
            ? 'Service trafficDistribution'
            : `${plan.explanation.destinationRule?.path ?? 'mesh localityLbSetting'} (outlierDetection from ${plan.explanation.outlierDetectionFrom ?? 'none'})`;
      cached = {
        resource,
        explanation: {
          mode,
          reason,
          priorities: new Set(groups.map((g) => g.priority)).size,
          endpoints: groups.reduce((n, g) => n + g.endpoints.length, 0),
        },
      };
      byKey.set(key, cached);
    }
    return cached;
  }
}

function buildNamespaceView(
  services: ReadonlyMap<string, MeshService>,
  index: ConfigIndex,
  namespace: string,
  flavor: ClusterFlavor,
  clusterId: string,
): NamespaceView {
  const visible = [...services.values()]
    .filter((s) => isVisibleTo(s.exportTo, s.namespace, namespace))
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  const plans: OutboundClusterPlan[] = [];
  for (const service of visible) {
    const rule = index.destinationRuleFor(namespace, service);
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      plans.push(...buildOutboundClusters(service, port, rule, index.mesh, flavor));
    }
  }
  const clusters = new Map<string, XdsResourceJson>();
  const explanations = new Map<string, ClusterExplanation>();
  const unique: OutboundClusterPlan[] = [];
  for (const plan of plans) {
    if (clusters.has(plan.name)) continue;
    clusters.set(plan.name, asResource(plan.resource));
    explanations.set(plan.name, plan.explanation);
    unique.push(plan);
  }
  const labelKeys = new Set<string>();
  for (const plan of unique) {
    if (!plan.decision.enableFailover) continue;
    for (const entry of plan.decision.setting?.failoverPriority ?? [])
      labelKeys.add(entry.split('=')[0] ?? '');
  }
  const virtualServices = index.virtualServicesFor('mesh', namespace);
  const usesSourceLabels = virtualServices.some((vs) =>
    (vs.spec.http ?? []).some((h) => (h.match ?? []).some((m) => m.sourceLabels !== undefined)),
  );
  return {
    services: visible,
    plans: unique,
    clusters: sealResourceMap(clusters),
    clusterExplanations: explanations,
    failoverLabelKeys: [...labelKeys].sort(),
    routeInputBase: {
      services: visible,
      virtualServices,
      proxyNamespace: namespace,
      dnsDomain: `${namespace}.svc.${index.mesh.dnsDomainSuffix}`,
      clusterId,
      domainSuffix: index.mesh.dnsDomainSuffix,
      isProxylessGrpc: flavor === 'grpc',
    },
    usesSourceLabels,
    routes: new Map(),
    assignments: new WeakMap(),
    lastAssignments: new Map(),
  };
}
