/**
 * Istio configuration as the control plane holds it: validated resources of the kinds Spillway
 * translates, plus the mesh-wide settings (Istio's `MeshConfig`). Specs use the field names of the
 * Istio API (`@kubernetes-models/istio` types); invalid resources never get here (they are skipped
 * with a logged, counted reason by the config store).
 */
import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1/Gateway';
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import type { ISidecar } from '@kubernetes-models/istio/networking.istio.io/v1/Sidecar';
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';

export type DestinationRuleSpec = NonNullable<IDestinationRule['spec']>;
export type VirtualServiceSpec = NonNullable<IVirtualService['spec']>;
export type GatewaySpec = NonNullable<IGateway['spec']>;
export type ServiceEntrySpec = NonNullable<IServiceEntry['spec']>;
export type SidecarSpec = NonNullable<ISidecar['spec']>;

/** One Istio resource with the metadata translation needs (precedence, scoping, explanations). */
export interface ConfigEntry<Spec> {
  readonly kind: 'DestinationRule' | 'VirtualService' | 'Gateway' | 'ServiceEntry' | 'Sidecar';
  readonly name: string;
  readonly namespace: string;
  /** The Kubernetes cluster the resource was read from. */
  readonly clusterId: string;
  /** RFC 3339; Istio orders conflicting resources oldest first. */
  readonly creationTimestamp: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Spec;
}

export interface IstioConfigSnapshot {
  /** Increases with every change. */
  readonly version: number;
  readonly destinationRules: readonly ConfigEntry<DestinationRuleSpec>[];
  readonly virtualServices: readonly ConfigEntry<VirtualServiceSpec>[];
  readonly gateways: readonly ConfigEntry<GatewaySpec>[];
  readonly serviceEntries: readonly ConfigEntry<ServiceEntrySpec>[];
  readonly sidecars: readonly ConfigEntry<SidecarSpec>[];
}

/** Istio's `MeshConfig`, the parts Spillway uses, with Istio's defaults (`pkg/config/mesh/mesh.go` DefaultMeshConfig). */
export interface MeshConfig {
  readonly trustDomain: string;
  /** Config in this namespace applies mesh-wide (`istio-system`). */
  readonly rootNamespace: string;
  /** The mesh-wide `localityLbSetting`; Istio's default is `{enabled: true}`. */
  readonly localityLbSetting: NonNullable<
    NonNullable<DestinationRuleSpec['trafficPolicy']>['loadBalancer']
  >['localityLbSetting'];
  /** Cluster `connect_timeout` (mesh `connectTimeout`, default 10s). */
  readonly connectTimeout: string;
  /** `outboundTrafficPolicy.mode`. */
  readonly outboundTrafficPolicyMode: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** DNS suffix of Kubernetes services (`cluster.local`). */
  readonly dnsDomainSuffix: string;
  /**
   * istiod's feature flag `ENABLE_INBOUND_RETRY_POLICY` (default true since Istio 1.24,
   * `pilot/pkg/features/pilot.go`): inbound routes retry requests reset before they reached the app.
   */
  readonly enableInboundRetryPolicy: boolean;
}

export const defaultMeshConfig: MeshConfig = Object.freeze({
  trustDomain: 'cluster.local',
  rootNamespace: 'istio-system',
  localityLbSetting: { enabled: true },
  connectTimeout: '10s',
  outboundTrafficPolicyMode: 'ALLOW_ANY',
  dnsDomainSuffix: 'cluster.local',
  enableInboundRetryPolicy: true,
});
