/**
 * One Istio config snapshot, indexed the way Istio's PushContext indexes it for lookups
 * (istio/istio `pilot/pkg/model/push_context.go`): DestinationRules per namespace with their hosts
 * resolved to FQDNs and same-host rules consolidated, VirtualServices with resolved hosts and
 * gateway bindings, Gateways. Built once per snapshot and shared by every proxy.
 */
import type { ConfigEntry, IstioConfigSnapshot, MeshConfig } from '../istio/istio-config.js';
import type { MeshService } from '../registry/mesh-model.js';
import { mostSpecificHost, resolveShortname, isVisibleTo } from './hostnames.js';
import {
  destinationRuleView,
  gatewayView,
  virtualServiceView,
  type DestinationRuleView,
  type GatewayView,
  type SubsetView,
  type TrafficPolicyView,
  type VirtualServiceView,
} from './istio-api.js';

/** Which Istio resource produced something; `path` is Istio's `istio.config` metadata value. */
export interface ConfigRef {
  readonly kind: 'DestinationRule' | 'VirtualService' | 'Gateway';
  readonly namespace: string;
  readonly name: string;
  /** `/apis/networking.istio.io/v1/namespaces/<ns>/destination-rule/<name>` (util.AddConfigInfoMetadata). */
  readonly path: string;
}

/** The DestinationRule(s) that apply to one host, merged as Istio's `mergeDestinationRule` does. */
export interface ConsolidatedDestinationRule {
  /** The oldest rule; its metadata is what Istio reports (`ConsolidatedDestRule.rule.Meta`). */
  readonly ref: ConfigRef;
  /** Every rule merged in, oldest first. */
  readonly from: readonly ConfigRef[];
  readonly host: string;
  readonly trafficPolicy: TrafficPolicyView | undefined;
  readonly subsets: readonly SubsetView[];
  readonly exportTo: readonly string[] | undefined;
}

export interface IndexedVirtualService {
  readonly ref: ConfigRef;
  readonly namespace: string;
  /** Hosts resolved to FQDNs (or wildcards), lower case. */
  readonly hosts: readonly string[];
  /** `mesh` or `<namespace>/<gateway name>`. */
  readonly gateways: readonly string[];
  readonly spec: VirtualServiceView;
  readonly exportTo: readonly string[] | undefined;
}

export interface IndexedGateway {
  readonly ref: ConfigRef;
  readonly namespace: string;
  /** `<namespace>/<name>`, the form VirtualServices bind to. */
  readonly qualifiedName: string;
  readonly spec: GatewayView;
}

const kebab: Record<ConfigRef['kind'], string> = {
  DestinationRule: 'destination-rule',
  VirtualService: 'virtual-service',
  Gateway: 'gateway',
};

function configRef(kind: ConfigRef['kind'], entry: ConfigEntry<unknown>): ConfigRef {
  return {
    kind,
    namespace: entry.namespace,
    name: entry.name,
    path: `/apis/networking.istio.io/v1/namespaces/${entry.namespace}/${kebab[kind]}/${entry.name}`,
  };
}

/** Istio's `sortConfigByCreationTime`: oldest first, then by namespace/name. */
function byCreation<T extends ConfigEntry<unknown>>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => {
    if (a.creationTimestamp !== b.creationTimestamp)
      return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
    const ka = `${a.namespace}/${a.name}`;
    const kb = `${b.namespace}/${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Merges a newer rule for the same host into an older one (push_context.go mergeDestinationRule). */
function merge(
  older: ConsolidatedDestinationRule,
  newer: ConsolidatedDestinationRule,
): ConsolidatedDestinationRule {
  const names = new Set(older.subsets.map((s) => s.name));
  const exportTo =
    older.exportTo === undefined || newer.exportTo === undefined
      ? undefined
      : [...new Set([...older.exportTo, ...newer.exportTo])];
  return {
    ...older,
    from: [...older.from, ...newer.from],
    trafficPolicy: older.trafficPolicy ?? newer.trafficPolicy,
    subsets: [...older.subsets, ...newer.subsets.filter((s) => !names.has(s.name))],
    exportTo,
  };
}

type RulesByHost = Map<string, ConsolidatedDestinationRule>;

function addRule(
  index: Map<string, RulesByHost>,
  namespace: string,
  rule: ConsolidatedDestinationRule,
): void {
  let byHost = index.get(namespace);
  if (byHost === undefined) {
    byHost = new Map();
    index.set(namespace, byHost);
  }
  const existing = byHost.get(rule.host);
  byHost.set(rule.host, existing === undefined ? rule : merge(existing, rule));
}

export class ConfigIndex {
  readonly mesh: MeshConfig;
  readonly virtualServices: readonly IndexedVirtualService[];
  readonly gateways: readonly IndexedGateway[];
  /** Rules every proxy of the namespace sees (Istio's `namespaceLocal`). */
  private readonly namespaceLocal = new Map<string, RulesByHost>();
  /** Rules exported beyond their namespace (Istio's `exportedByNamespace`). */
  private readonly exported = new Map<string, RulesByHost>();

  constructor(istio: IstioConfigSnapshot, mesh: MeshConfig) {
    this.mesh = mesh;
    for (const entry of byCreation(istio.destinationRules)) {
      const spec: DestinationRuleView = destinationRuleView(entry);
      // Rules with a workloadSelector apply to selected sidecars only; not supported yet (see ADR 0008).
      if (spec.workloadSelector !== undefined) continue;
      const ref = configRef('DestinationRule', entry);
      const rule: ConsolidatedDestinationRule = {
        ref,
        from: [ref],
        host: resolveShortname(spec.host, entry.namespace, mesh.dnsDomainSuffix),
        trafficPolicy: spec.trafficPolicy,
        subsets: spec.subsets ?? [],
        exportTo: spec.exportTo,
      };
      const exportTo = spec.exportTo ?? [];
      if (!exportTo.includes('~') || exportTo.length > 1) addRule(this.namespaceLocal, entry.namespace, rule);
      const isPrivate =
        exportTo.length > 0 && exportTo.every((e) => e === '.' || e === '~' || e === entry.namespace);
      if (!isPrivate) addRule(this.exported, entry.namespace, rule);
    }
    this.virtualServices = byCreation(istio.virtualServices).map((entry) => {
      const spec = virtualServiceView(entry);
      const gateways = spec.gateways === undefined || spec.gateways.length === 0 ? ['mesh'] : spec.gateways;
      return {
        ref: configRef('VirtualService', entry),
        namespace: entry.namespace,
        hosts: (spec.hosts ?? []).map((h) => resolveShortname(h, entry.namespace, mesh.dnsDomainSuffix)),
        gateways: gateways.map((g) => (g === 'mesh' || g.includes('/') ? g : `${entry.namespace}/${g}`)),
        spec,
        exportTo: spec.exportTo,
      };
    });
    this.gateways = byCreation(istio.gateways).map((entry) => ({
      ref: configRef('Gateway', entry),
      namespace: entry.namespace,
      qualifiedName: `${entry.namespace}/${entry.name}`,
      spec: gatewayView(entry),
    }));
  }

  /**
   * The DestinationRule for `service` as seen from a proxy in `proxyNamespace`
   * (push_context.go `destinationRule`): the proxy's namespace first (the root namespace's own
   * rules for a proxy living there), then rules exported by the service's namespace, then rules
   * exported by the root namespace.
   */
  destinationRuleFor(proxyNamespace: string, service: MeshService): ConsolidatedDestinationRule | undefined {
    const local = this.lookup(this.namespaceLocal.get(proxyNamespace), service.hostname);
    if (local !== undefined) return local;
    for (const owner of [service.namespace, this.mesh.rootNamespace]) {
      const rule = this.lookup(this.exported.get(owner), service.hostname);
      if (rule !== undefined && isVisibleTo(rule.exportTo, owner, proxyNamespace)) return rule;
    }
    return undefined;
  }

  /** VirtualServices bound to `gateway` (`mesh` or `ns/name`) and visible to `proxyNamespace`, oldest first. */
  virtualServicesFor(gateway: string, proxyNamespace: string): IndexedVirtualService[] {
    return this.virtualServices.filter(
      (vs) => vs.gateways.includes(gateway) && isVisibleTo(vs.exportTo, vs.namespace, proxyNamespace),
    );
  }

  private lookup(byHost: RulesByHost | undefined, hostname: string): ConsolidatedDestinationRule | undefined {
    if (byHost === undefined) return undefined;
    const key = mostSpecificHost(hostname, byHost.keys());
    return key === undefined ? undefined : byHost.get(key);
  }
}
