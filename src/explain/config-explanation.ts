/**
 * The config side of an explanation: the control plane's `/debug/explainz` answer
 * (src/control-plane/control-plane-explain.ts) parsed from `unknown` - which DestinationRule and
 * which of its fields produced a cluster, how its endpoints were given priorities and why, the
 * VirtualService routes that lead to it, and the pods behind its endpoints.
 */
import { JsonReader } from './json-reader.js';

export interface ConfigRefView {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface RouteToCluster {
  readonly routeConfig: string;
  readonly virtualHost: string;
  readonly route: string;
  /** `/apis/networking.istio.io/v1/namespaces/<ns>/virtual-service/<name>`; absent for Istio's default route. */
  readonly virtualService: string | undefined;
  readonly weight: number | undefined;
}

export interface EndpointOrigin {
  readonly address: string;
  readonly port: number;
  readonly pod: string | undefined;
  readonly namespace: string;
  readonly cluster: string;
  readonly locality: string;
}

export interface ConfigExplanation {
  readonly proxyId: string;
  readonly proxyLocality: string | undefined;
  readonly cluster: string;
  readonly isFound: boolean;
  /** Outbound clusters the control plane gave the proxy, when `cluster` is not one of them. */
  readonly knownClusters: readonly string[];
  readonly destinationRule: ConfigRefView | undefined;
  readonly mergedFrom: readonly ConfigRefView[];
  readonly subset: string | undefined;
  /** The DestinationRule field the effective outlier detection comes from. */
  readonly outlierDetectionField: string | undefined;
  readonly isOutlierDetectionApplied: boolean;
  /** `destination-rule`, `traffic-distribution`, `mesh` or `disabled`. */
  readonly localityLbSource: string;
  readonly isFailoverEnabled: boolean;
  /** `failover`, `failover-priority`, `distribute` or `flat`. */
  readonly assignmentMode: string | undefined;
  readonly assignmentReason: string | undefined;
  readonly routes: readonly RouteToCluster[];
  readonly endpoints: readonly EndpointOrigin[];
}

function readRef(r: JsonReader): ConfigRefView {
  return {
    kind: r.at('kind').string(),
    namespace: r.at('namespace').string(),
    name: r.at('name').string(),
  };
}

/** Parses a `/debug/explainz` answer; `source` names where it came from in error messages. */
export function parseConfigExplanation(json: unknown, source: string): ConfigExplanation {
  const r = new JsonReader(source, json);
  const isFound = r.at('found').boolean();
  const proxy = r.at('proxy');
  const base = {
    proxyId: proxy.at('id').string(),
    proxyLocality: proxy.at('locality').optional((t) => t.string()),
    cluster: r.at('cluster').string(),
    isFound,
  };
  if (!isFound) {
    return {
      ...base,
      knownClusters: r.has('knownClusters') ? r.at('knownClusters').stringList() : [],
      destinationRule: undefined,
      mergedFrom: [],
      subset: undefined,
      outlierDetectionField: undefined,
      isOutlierDetectionApplied: false,
      localityLbSource: 'disabled',
      isFailoverEnabled: false,
      assignmentMode: undefined,
      assignmentReason: undefined,
      routes: [],
      endpoints: [],
    };
  }
  const od = r.at('outlierDetection');
  const assignment = r.at('assignment');
  return {
    ...base,
    knownClusters: [],
    destinationRule: r.at('destinationRule').optional(readRef),
    mergedFrom: r.at('mergedFrom').items().map(readRef),
    subset: r.at('subset').optional((t) => t.string()),
    outlierDetectionField: od.optional((o) => o.at('field').string()),
    isOutlierDetectionApplied: od.optional((o) => o.at('applied').boolean()) ?? false,
    localityLbSource: r.at('localityLb').at('source').string(),
    isFailoverEnabled: r.at('localityLb').at('failoverEnabled').boolean(),
    assignmentMode: assignment.optional((a) => a.at('mode').string()),
    assignmentReason: assignment.optional((a) => a.at('reason').string()),
    routes: r
      .at('routes')
      .items()
      .map((x) => ({
        routeConfig: x.at('routeConfig').string(),
        virtualHost: x.at('virtualHost').string(),
        route: x.at('route').string(),
        virtualService: x.at('virtualService').optional((t) => t.string()),
        weight: x.at('weight').optional((t) => t.number()),
      })),
    endpoints: r
      .at('endpoints')
      .items()
      .map((e) => ({
        address: e.at('address').string(),
        port: e.at('port').number(),
        pod: e.at('pod').optional((t) => t.string()),
        namespace: e.at('namespace').string(),
        cluster: e.at('cluster').string(),
        locality: e.at('locality').string(),
      })),
  };
}

/** `/apis/networking.istio.io/v1/namespaces/<ns>/virtual-service/<name>` -> `<ns>/<name>`. */
export function virtualServiceName(path: string): string {
  const m = /\/namespaces\/([^/]+)\/virtual-service\/([^/]+)$/.exec(path);
  return m === null ? path : `${m[1]}/${m[2]}`;
}
