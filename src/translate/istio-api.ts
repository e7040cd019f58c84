/**
 * Read-only views of the Istio API fields translation reads (istio/api `networking/v1alpha3/*.proto`,
 * JSON field names as in the CRDs). The config store has already validated every resource against
 * Istio's rules, so translation narrows the generated `@kubernetes-models/istio` spec types to these
 * small shapes instead of walking their (very large) oneof unions.
 */
import type {
  ConfigEntry,
  DestinationRuleSpec,
  GatewaySpec,
  VirtualServiceSpec,
} from '../istio/istio-config.js';

export interface PortSelectorView {
  readonly number?: number;
}

export interface OutlierDetectionView {
  readonly consecutiveErrors?: number;
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly splitExternalLocalOriginErrors?: boolean;
  readonly consecutiveLocalOriginFailures?: number;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

export interface ConnectionPoolView {
  readonly tcp?: {
    readonly maxConnections?: number;
    readonly connectTimeout?: string;
    readonly maxConnectionDuration?: string;
    readonly idleTimeout?: string;
    readonly tcpKeepalive?: unknown;
  };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly http2MaxRequests?: number;
    readonly maxRequestsPerConnection?: number;
    readonly maxRetries?: number;
    readonly idleTimeout?: string;
    readonly h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    readonly useClientProtocol?: boolean;
    readonly maxConcurrentStreams?: number;
  };
}

export interface LocalityLbSettingView {
  readonly enabled?: boolean;
  readonly distribute?: readonly { readonly from?: string; readonly to?: Readonly<Record<string, number>> }[];
  readonly failover?: readonly { readonly from?: string; readonly to?: string }[];
  readonly failoverPriority?: readonly string[];
}

export interface LoadBalancerView {
  readonly simple?: string;
  readonly consistentHash?: {
    readonly httpHeaderName?: string;
    readonly ringHash?: { readonly minimumRingSize?: number };
    readonly maglev?: { readonly tableSize?: number };
    readonly minimumRingSize?: number;
  };
  readonly localityLbSetting?: LocalityLbSettingView;
  readonly warmupDurationSecs?: string;
  readonly warmup?: unknown;
}

export interface ClientTlsView {
  readonly mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
}

export interface PortTrafficPolicyView {
  readonly port?: PortSelectorView;
  readonly connectionPool?: ConnectionPoolView;
  readonly outlierDetection?: OutlierDetectionView;
  readonly loadBalancer?: LoadBalancerView;
  readonly tls?: ClientTlsView;
}

export interface TrafficPolicyView {
  readonly connectionPool?: ConnectionPoolView;
  readonly outlierDetection?: OutlierDetectionView;
  readonly loadBalancer?: LoadBalancerView;
  readonly tls?: ClientTlsView;
  readonly portLevelSettings?: readonly PortTrafficPolicyView[];
  readonly proxyProtocol?: unknown;
  readonly tunnel?: unknown;
  readonly retryBudget?: unknown;
}

export interface SubsetView {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly trafficPolicy?: TrafficPolicyView;
}

export interface DestinationRuleView {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicyView;
  readonly subsets?: readonly SubsetView[];
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: { readonly matchLabels?: Readonly<Record<string, string>> };
}

export interface StringMatchView {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

export interface HttpMatchRequestView {
  readonly name?: string;
  readonly uri?: StringMatchView;
  readonly scheme?: StringMatchView;
  readonly method?: StringMatchView;
  readonly authority?: StringMatchView;
  readonly headers?: Readonly<Record<string, StringMatchView>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatchView>>;
  readonly queryParams?: Readonly<Record<string, StringMatchView>>;
  readonly port?: number;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly sourceNamespace?: string;
  readonly gateways?: readonly string[];
  readonly ignoreUriCase?: boolean;
  readonly statPrefix?: string;
}

export interface DestinationView {
  readonly host: string;
  readonly subset?: string;
  readonly port?: PortSelectorView;
}

export interface HeaderOperationsView {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface HeadersView {
  readonly request?: HeaderOperationsView;
  readonly response?: HeaderOperationsView;
}

export interface HttpRouteDestinationView {
  readonly destination: DestinationView;
  readonly weight?: number;
  readonly headers?: HeadersView;
}

export interface HttpRetryView {
  readonly attempts?: number;
  readonly perTryTimeout?: string;
  readonly retryOn?: string;
  readonly retryRemoteLocalities?: boolean;
  readonly retryIgnorePreviousHosts?: boolean;
  readonly backoff?: string;
}

export interface PercentView {
  readonly value?: number;
}

export interface HttpFaultView {
  readonly delay?: {
    readonly fixedDelay?: string;
    readonly exponentialDelay?: string;
    readonly percentage?: PercentView;
    readonly percent?: number;
  };
  readonly abort?: {
    readonly httpStatus?: number;
    readonly grpcStatus?: string;
    readonly http2Error?: string;
    readonly percentage?: PercentView;
  };
}

export interface HttpRedirectView {
  readonly uri?: string;
  readonly authority?: string;
  readonly port?: number;
  readonly derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  readonly scheme?: string;
  readonly redirectCode?: number;
}

export interface HttpRouteView {
  readonly name?: string;
  readonly match?: readonly HttpMatchRequestView[];
  readonly route?: readonly HttpRouteDestinationView[];
  readonly redirect?: HttpRedirectView;
  readonly directResponse?: {
    readonly status: number;
    readonly body?: { readonly string?: string; readonly bytes?: string };
  };
  readonly delegate?: unknown;
  readonly rewrite?: {
    readonly uri?: string;
    readonly authority?: string;
    readonly uriRegexRewrite?: { readonly match?: string; readonly rewrite?: string };
  };
  readonly timeout?: string;
  readonly retries?: HttpRetryView;
  readonly fault?: HttpFaultView;
  readonly mirror?: unknown;
  readonly mirrors?: unknown;
  readonly headers?: HeadersView;
  readonly corsPolicy?: unknown;
}

export interface VirtualServiceView {
  readonly hosts?: readonly string[];
  readonly gateways?: readonly string[];
  readonly http?: readonly HttpRouteView[];
  readonly exportTo?: readonly string[];
}

export interface GatewayServerView {
  readonly port?: { readonly number?: number; readonly protocol?: string; readonly name?: string };
  readonly hosts?: readonly string[];
  readonly bind?: string;
  readonly tls?: unknown;
  readonly name?: string;
}

export interface GatewayView {
  readonly selector?: Readonly<Record<string, string>>;
  readonly servers?: readonly GatewayServerView[];
}

/** Narrows validated specs to the views (the store guarantees the shapes). */
export function destinationRuleView(entry: ConfigEntry<DestinationRuleSpec>): DestinationRuleView {
  return entry.spec as unknown as DestinationRuleView;
}

export function virtualServiceView(entry: ConfigEntry<VirtualServiceSpec>): VirtualServiceView {
  return entry.spec as unknown as VirtualServiceView;
}

export function gatewayView(entry: ConfigEntry<GatewaySpec>): GatewayView {
  return entry.spec as unknown as GatewayView;
}
