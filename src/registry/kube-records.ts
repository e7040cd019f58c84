/**
 * The Kubernetes objects the registry reads, parsed from untrusted JSON into the few fields it uses.
 * A malformed field reads as absent; an object without a name is refused (`undefined`).
 */
import { arrayAt, boolAt, isRecord, numberAt, recordAt, stringAt, stringMapAt } from '../core/json-shape.js';
import type { ServicePort } from './mesh-model.js';

export interface ServiceRecord {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePort[];
  readonly clusterIP?: string;
  readonly publishNotReadyAddresses: boolean;
  /** `spec.trafficDistribution` as written. */
  readonly trafficDistribution?: string;
}

/** `discovery.k8s.io/v1` EndpointConditions: absent means unknown (Kubernetes: treat ready as true). */
export interface EndpointConditions {
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

export interface SliceEndpoint {
  readonly addresses: readonly string[];
  readonly conditions: EndpointConditions;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly targetRef?: { readonly kind: string; readonly namespace?: string; readonly name: string };
}

export interface SlicePort {
  readonly name: string;
  readonly port: number;
}

export interface SliceRecord {
  readonly namespace: string;
  readonly name: string;
  /** Label `kubernetes.io/service-name`; '' when absent. */
  readonly serviceName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly addressType: string;
  readonly ports: readonly SlicePort[];
  readonly endpoints: readonly SliceEndpoint[];
}

export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly nodeName?: string;
  /** `spec.serviceAccountName` ('default' when unset, as Kubernetes' ServiceAccount admission sets it). */
  readonly serviceAccountName: string;
  readonly podIP?: string;
  readonly phase?: string;
  /** The workload the pod belongs to (see `workloadNameOfPod`); the pod name when unset. */
  readonly workloadName?: string;
}

export interface NodeRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface NamespaceRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** `<namespace>/<name>`. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

interface Meta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

function metaOf(object: unknown): Meta | undefined {
  const meta = recordAt(object, 'metadata');
  const name = stringAt(meta, 'name');
  if (name === undefined || name === '') return undefined;
  return {
    name,
    namespace: stringAt(meta, 'namespace') ?? '',
    labels: stringMapAt(meta, 'labels'),
    annotations: stringMapAt(meta, 'annotations'),
  };
}

const protocols = new Set(['TCP', 'UDP', 'SCTP']);

function servicePort(value: unknown): ServicePort | undefined {
  const port = numberAt(value, 'port');
  if (port === undefined || !Number.isInteger(port)) return undefined;
  const protocol = stringAt(value, 'protocol') ?? 'TCP';
  const target = isRecord(value) ? value['targetPort'] : undefined;
  const appProtocol = stringAt(value, 'appProtocol');
  return {
    name: stringAt(value, 'name') ?? '',
    port,
    protocol: (protocols.has(protocol) ? protocol : 'TCP') as ServicePort['protocol'],
    ...(appProtocol !== undefined ? { appProtocol } : {}),
    // Kubernetes defaults targetPort to the port.
    targetPort: typeof target === 'number' || (typeof target === 'string' && target !== '') ? target : port,
  };
}

export function parseService(object: unknown): ServiceRecord | undefined {
  const meta = metaOf(object);
  if (meta === undefined) return undefined;
  const spec = recordAt(object, 'spec');
  const ports: ServicePort[] = [];
  (arrayAt(spec, 'ports') ?? []).forEach((p) => {
    const parsed = servicePort(p);
    if (parsed !== undefined) ports.push(parsed);
  });
  const selector = recordAt(spec, 'selector') === undefined ? undefined : stringMapAt(spec, 'selector');
  const clusterIP = stringAt(spec, 'clusterIP');
  const trafficDistribution = stringAt(spec, 'trafficDistribution');
  return {
    namespace: meta.namespace,
    name: meta.name,
    labels: meta.labels,
    annotations: meta.annotations,
    ...(selector !== undefined && Object.keys(selector).length > 0 ? { selector } : {}),
    ports,
    ...(clusterIP !== undefined && clusterIP !== '' ? { clusterIP } : {}),
    publishNotReadyAddresses: boolAt(spec, 'publishNotReadyAddresses') ?? false,
    ...(trafficDistribution !== undefined ? { trafficDistribution } : {}),
  };
}

function conditions(value: unknown): EndpointConditions {
  const ready = boolAt(value, 'ready');
  const serving = boolAt(value, 'serving');
  const terminating = boolAt(value, 'terminating');
  return {
    ...(ready !== undefined ? { ready } : {}),
    ...(serving !== undefined ? { serving } : {}),
    ...(terminating !== undefined ? { terminating } : {}),
  };
}

function sliceEndpoint(value: unknown): SliceEndpoint | undefined {
  if (!isRecord(value)) return undefined;
  const addresses = (arrayAt(value, 'addresses') ?? []).filter((a): a is string => typeof a === 'string');
  const ref = recordAt(value, 'targetRef');
  const refName = stringAt(ref, 'name');
  const refNamespace = stringAt(ref, 'namespace');
  const nodeName = stringAt(value, 'nodeName');
  const zone = stringAt(value, 'zone');
  return {
    addresses,
    conditions: conditions(recordAt(value, 'conditions')),
    ...(nodeName !== undefined && nodeName !== '' ? { nodeName } : {}),
    ...(zone !== undefined && zone !== '' ? { zone } : {}),
    ...(refName !== undefined && refName !== ''
      ? {
          targetRef: {
            kind: stringAt(ref, 'kind') ?? '',
            name: refName,
            ...(refNamespace !== undefined && refNamespace !== '' ? { namespace: refNamespace } : {}),
          },
        }
      : {}),
  };
}

export function parseEndpointSlice(object: unknown): SliceRecord | undefined {
  const meta = metaOf(object);
  if (meta === undefined) return undefined;
  const ports: SlicePort[] = [];
  for (const p of arrayAt(object, 'ports') ?? []) {
    const port = numberAt(p, 'port');
    if (port !== undefined && Number.isInteger(port)) ports.push({ name: stringAt(p, 'name') ?? '', port });
  }
  const endpoints: SliceEndpoint[] = [];
  for (const e of arrayAt(object, 'endpoints') ?? []) {
    const parsed = sliceEndpoint(e);
    if (parsed !== undefined) endpoints.push(parsed);
  }
  return {
    namespace: meta.namespace,
    name: meta.name,
    serviceName: meta.labels['kubernetes.io/service-name'] ?? '',
    labels: meta.labels,
    addressType: stringAt(object, 'addressType') ?? '',
    ports,
    endpoints,
  };
}

const cronJobName = /^(.+)-\d{8,10}$/;

/**
 * The workload name Istio derives for a pod (istio/istio `pkg/kube/util.go` GetWorkloadMetaFromPod,
 * GetDeployMetaFromPod, used by the endpoint builder for `IstioEndpoint.WorkloadName`): the label
 * `service.istio.io/workload-name` if set; else, for a pod with a generated name, its controller -
 * a ReplicaSet `<deployment>-<pod-template-hash>` means the Deployment, a ReplicationController
 * with label `deploymentconfig` that DeploymentConfig, a Job `<cronjob>-<8 to 10 digits>` the CronJob;
 * else the pod's own name.
 */
export function workloadNameOfPod(
  object: unknown,
  name: string,
  labels: Readonly<Record<string, string>>,
): string {
  const override = labels['service.istio.io/workload-name'];
  if (override !== undefined) return override;
  const meta = recordAt(object, 'metadata');
  const generateName = stringAt(meta, 'generateName') ?? '';
  if (generateName === '') return name;
  const controller = (arrayAt(meta, 'ownerReferences') ?? []).find(
    (ref) => isRecord(ref) && ref['controller'] === true,
  );
  const kind = stringAt(controller, 'kind') ?? '';
  const owner = stringAt(controller, 'name') ?? '';
  if (controller === undefined || owner === '') return name;
  const hash = labels['pod-template-hash'] ?? '';
  const rolloutHash = labels['rollouts-pod-template-hash'] ?? '';
  if (kind === 'ReplicaSet' && hash !== '' && owner.endsWith(hash)) return trimSuffix(owner, `-${hash}`);
  if (kind === 'ReplicaSet' && rolloutHash !== '' && owner.endsWith(rolloutHash))
    return trimSuffix(owner, `-${rolloutHash}`);
  if (kind === 'ReplicationController' && (labels['deploymentconfig'] ?? '') !== '')
    return labels['deploymentconfig'] as string;
  if (kind === 'Job') return cronJobName.exec(owner)?.[1] ?? owner;
  return owner;
}

/** Go's strings.TrimSuffix. */
function trimSuffix(text: string, suffix: string): string {
  return text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
}

export function parsePod(object: unknown): PodRecord | undefined {
  const meta = metaOf(object);
  if (meta === undefined) return undefined;
  const spec = recordAt(object, 'spec');
  const status = recordAt(object, 'status');
  const nodeName = stringAt(spec, 'nodeName');
  const podIP = stringAt(status, 'podIP');
  const phase = stringAt(status, 'phase');
  const serviceAccountName = stringAt(spec, 'serviceAccountName') ?? stringAt(spec, 'serviceAccount');
  return {
    namespace: meta.namespace,
    name: meta.name,
    labels: meta.labels,
    annotations: meta.annotations,
    ...(nodeName !== undefined && nodeName !== '' ? { nodeName } : {}),
    serviceAccountName:
      serviceAccountName !== undefined && serviceAccountName !== '' ? serviceAccountName : 'default',
    ...(podIP !== undefined && podIP !== '' ? { podIP } : {}),
    ...(phase !== undefined ? { phase } : {}),
    workloadName: workloadNameOfPod(object, meta.name, meta.labels),
  };
}

export function parseNode(object: unknown): NodeRecord | undefined {
  const meta = metaOf(object);
  return meta === undefined ? undefined : { name: meta.name, labels: meta.labels };
}

export function parseNamespace(object: unknown): NamespaceRecord | undefined {
  const meta = metaOf(object);
  return meta === undefined
    ? undefined
    : { name: meta.name, labels: meta.labels, annotations: meta.annotations };
}
