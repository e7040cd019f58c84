/**
 * The Kubernetes kinds a control plane watches in each cluster, and how each is listed. Every cluster
 * contributes discovery (Namespaces, Nodes, Services, EndpointSlices, Pods); only the control plane's
 * own cluster also contributes Istio configuration, as in Istio multi-primary: istiod builds its
 * config store from its own API server (`pilot/pkg/bootstrap/configcontroller.go`
 * makeKubeConfigController on `s.kubeClient`) and a Kubernetes service registry for every cluster
 * (`pilot/pkg/serviceregistry/kube/controller/multicluster.go` NewMulticluster, `configCluster :=
 * opts.ClusterID == cluster.ID`).
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';

export const discoveryKinds = ['Namespace', 'Node', 'Service', 'EndpointSlice', 'Pod'] as const;
export const istioConfigKinds = [
  'DestinationRule',
  'VirtualService',
  'Gateway',
  'ServiceEntry',
  'Sidecar',
] as const;

export type DiscoveryKind = (typeof discoveryKinds)[number];
export type IstioConfigKind = (typeof istioConfigKinds)[number];
export type WatchedKind = DiscoveryKind | IstioConfigKind;

/** A list response as the API returns it (objects still untrusted). */
export interface RawList {
  readonly items?: readonly unknown[];
  readonly metadata?: { readonly resourceVersion?: string };
}

/** One watched collection: its list-watch path and a list call that honours an abort signal. */
export interface WatchedCollection {
  readonly kind: WatchedKind;
  /** The collection path the watch uses (`/api/v1/pods`). */
  readonly path: string;
  /** True for CRD-backed kinds: a cluster without the CRD (404) has none rather than failing. */
  readonly isOptional: boolean;
  list(signal: AbortSignal): Promise<RawList>;
}

/** Request options that make a typed client-node call abortable (its middleware sets the signal). */
function abortable(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

const istioPlurals: Record<IstioConfigKind, string> = {
  DestinationRule: 'destinationrules',
  VirtualService: 'virtualservices',
  Gateway: 'gateways',
  ServiceEntry: 'serviceentries',
  Sidecar: 'sidecars',
};

/** The collections of one cluster; `withIstioConfig` adds the `networking.istio.io/v1` kinds. */
export function watchedCollections(kc: KubeConfig, withIstioConfig: boolean): WatchedCollection[] {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const collections: WatchedCollection[] = [
    {
      kind: 'Namespace',
      path: '/api/v1/namespaces',
      isOptional: false,
      list: (s) => core.listNamespace({}, abortable(s)),
    },
    { kind: 'Node', path: '/api/v1/nodes', isOptional: false, list: (s) => core.listNode({}, abortable(s)) },
    {
      kind: 'Service',
      path: '/api/v1/services',
      isOptional: false,
      list: (s) => core.listServiceForAllNamespaces({}, abortable(s)),
    },
    {
      kind: 'EndpointSlice',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      isOptional: false,
      list: (s) => discovery.listEndpointSliceForAllNamespaces({}, abortable(s)),
    },
    {
      kind: 'Pod',
      path: '/api/v1/pods',
      isOptional: false,
      list: (s) => core.listPodForAllNamespaces({}, abortable(s)),
    },
  ];
  if (withIstioConfig) {
    for (const kind of istioConfigKinds) {
      const plural = istioPlurals[kind];
      collections.push({
        kind,
        path: `/apis/networking.istio.io/v1/${plural}`,
        isOptional: true,
        list: async (s) =>
          (await custom.listClusterCustomObject(
            { group: 'networking.istio.io', version: 'v1', plural },
            abortable(s),
          )) as RawList,
      });
    }
  }
  return collections;
}
