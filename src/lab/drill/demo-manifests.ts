/**
 * The demo app of `spillway demo`, as Kubernetes objects derived from a lab topology: the seed's
 * `mocka -> mockb -> mockc` (seed README, walkthrough step 1: port 8000 named `http`, one
 * single-replica Deployment per zone pinned by `nodeSelector`, an Istio Gateway on port 80 with
 * hosts `*` and a VirtualService sending everything to `mocka:8000`), the seed's DestinationRules
 * (step 3) and the retry VirtualService the demo adds in its retry phase. For the default topology
 * these are exactly `examples/demo/*.yaml` (a test keeps them equal), so the demo applies what a
 * user applies by hand.
 */
import type { ClusterPlan } from '../topology/address-plan.js';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

/** The seed's sample app image (the lab runs its built-in sample app for it, ADR 0013 "Images"). */
export const sampleImage = 'registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/go-http-sample:tracing';
/** The seed's "bad release" (walkthrough step 4): a curl image that runs `sleep 36000`. */
export const brokenImage = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';
export const brokenCommand: readonly string[] = ['sleep', '36000'];
/** The Host the seed's curl sends; the Gateway accepts any (`*`). */
export const demoHost = 'mock.asm-demo.work';
/** The container every demo Deployment runs its app in (the seed's name). */
export const appContainer = 'default';
export const demoServices = ['mocka', 'mockb', 'mockc'] as const;
export type DemoService = (typeof demoServices)[number];
const upstreamOf: Record<DemoService, string | undefined> = {
  mocka: 'http://mockb:8000/',
  mockb: 'http://mockc:8000/',
  mockc: undefined,
};

export function deploymentName(service: DemoService, zone: string): string {
  return `${service}-${zone}`;
}

function service(name: DemoService): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { app: name, service: name } },
    spec: { ports: [{ port: 8000, name: 'http' }], selector: { app: name } },
  };
}

function deployment(name: DemoService, zone: string): KubeObject {
  const upstream = upstreamOf[name];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deploymentName(name, zone), labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, locality: zone } },
        spec: {
          nodeSelector: { 'topology.kubernetes.io/zone': zone },
          containers: [
            {
              name: appContainer,
              image: sampleImage,
              imagePullPolicy: 'IfNotPresent',
              env: [
                { name: 'version', value: zone },
                { name: 'app', value: name },
                ...(upstream !== undefined ? [{ name: 'upstream_url', value: upstream }] : []),
              ],
              ports: [{ containerPort: 8000 }],
            },
          ],
        },
      },
    },
  };
}

/** `examples/demo/<cluster>-app.yaml`: Services, one Deployment per service and zone, Gateway, VirtualService. */
export function clusterAppObjects(cluster: Pick<ClusterPlan, 'zones'>): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const name of demoServices) {
    objects.push(service(name));
    for (const zone of cluster.zones) objects.push(deployment(name, zone));
  }
  objects.push({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'Gateway',
    metadata: { name: 'mocka', namespace: 'default' },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [{ hosts: ['*'], port: { name: 'test', number: 80, protocol: 'HTTP' } }],
    },
  });
  objects.push({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'demoapp-vs', namespace: 'default' },
    spec: {
      gateways: ['mocka'],
      hosts: ['*'],
      http: [{ name: 'test', route: [{ destination: { host: 'mocka', port: { number: 8000 } } }] }],
    },
  });
  return objects;
}

/**
 * `examples/demo/destination-rules.yaml`: the seed's outlierDetection, unchanged, for each service.
 * The 5m baseEjectionTime does not slow the demo down: its heal rolls the Deployment back, which
 * replaces the broken pod by a new pod - a new host no proxy has ejected (ADR 0015).
 */
export function destinationRuleObjects(): KubeObject[] {
  return demoServices.map((name) => ({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name },
    spec: {
      host: name,
      trafficPolicy: {
        outlierDetection: {
          splitExternalLocalOriginErrors: true,
          consecutiveLocalOriginFailures: 1,
          baseEjectionTime: '5m',
          consecutive5xxErrors: 1,
          interval: '30s',
          maxEjectionPercent: 100,
        },
      },
    },
  }));
}

/**
 * `examples/demo/mockb-retries.yaml`: what an Istio user adds so that the one failed request of the
 * drill is retried instead of returned. The failure mocka's sidecar sees is a 503 local reply of
 * mockb's sidecar, which Istio's default retry policy no longer retries (503 left
 * `retriable_status_codes` in Istio 1.24, istio/istio releasenotes/notes/50506.yaml), so `retryOn`
 * names `gateway-error` (502/503/504, Envoy router docs `x-envoy-retry-on`) besides the
 * connection-level failures, as the VirtualService reference's own example does;
 * `retryRemoteLocalities` lets a retry leave the caller's zone (Istio
 * `pilot/pkg/networking/core/route/retry/retry.go` ConvertPolicy: `previous_priorities`), which is
 * where the healthy mockb is.
 */
export function retryVirtualServiceObject(): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'mockb', namespace: 'default' },
    spec: {
      hosts: ['mockb'],
      http: [
        {
          name: 'mockb',
          route: [{ destination: { host: 'mockb', port: { number: 8000 } } }],
          retries: {
            attempts: 2,
            retryOn: 'gateway-error,connect-failure,refused-stream',
            retryRemoteLocalities: true,
          },
        },
      ],
    },
  };
}

const plurals: Record<string, string> = {
  Service: 'services',
  Deployment: 'deployments',
  Gateway: 'gateways',
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
};

/** The REST path of a demo object (namespace `default` unless it says otherwise). */
export function objectUrlPath(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const plural = plurals[object.kind];
  if (plural === undefined) throw new Error(`internal: the demo has no path for kind ${object.kind}`);
  const group = object.apiVersion === 'v1' ? '/api/v1' : `/apis/${object.apiVersion}`;
  const ns = encodeURIComponent(object.metadata.namespace ?? 'default');
  return `${group}/namespaces/${ns}/${plural}/${encodeURIComponent(object.metadata.name)}`;
}
