/**
 * The lab's sidecar injector: Istio's injection webhook as a mutating admission step on Pod create.
 * Which pods are injected follows Istio's webhook configuration and `injectRequired`; what is added
 * follows Istio's sidecar injection template, minus what only exists with iptables capture (the
 * `istio-init` container, volumes for SDS and certificates): lab sidecars are in-process proxies that
 * the node agent starts for the `istio-proxy` container (docs/adr/0008, lab design "Kubernetes
 * objects").
 *
 * Sources (istio/istio): `pkg/kube/inject/inject.go` injectRequired (hostNetwork, ignored
 * namespaces, `sidecar.istio.io/inject` label over annotation, y/yes/true/on), `pkg/kube/inject/
 * webhook.go` (re-injection strips what the `sidecar.istio.io/status` annotation lists),
 * `manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml` (the namespace and
 * object selectors), `.../files/injection-template.yaml` (labels, annotations, container, env),
 * `pkg/kube/util.go` GetDeployMetaFromPod (workload name from the controlling ReplicaSet).
 */
import type { KubeObject } from '../kube-object.js';
import type { AdmissionAttributes, MutatingAdmission } from './mutating-admission.js';

/**
 * `namespace-label`: Istio's default (namespaces labelled `istio-injection=enabled`, or pods labelled
 * `sidecar.istio.io/inject=true` in unlabelled namespaces). `lab`: the same, and the `default`
 * namespace counts as enabled unless it is labelled `istio-injection` (the seed assumes injection in
 * `default`).
 */
export type SidecarInjectionPolicy = 'namespace-label' | 'lab';

export const sidecarInjectionPolicies: readonly SidecarInjectionPolicy[] = ['namespace-label', 'lab'];

export interface SidecarInjectorConfig {
  readonly policy: SidecarInjectionPolicy;
  /** `ISTIO_META_CLUSTER_ID` of the injected proxies: the cluster id of this API server's cluster. */
  readonly clusterId: string;
  /** `ISTIO_META_NETWORK`; '' leaves it out (Istio's default network). */
  readonly network?: string;
  /** Image of the `istio-proxy` container; the lab's node agent runs `spillway/proxyv2` as a proxy. */
  readonly proxyImage?: string;
  /** `ISTIO_META_MESH_ID` (Istio defaults it to the trust domain). */
  readonly meshId?: string;
}

export const proxyContainerName = 'istio-proxy';
export const defaultProxyImage = 'spillway/proxyv2';
const statusAnnotation = 'sidecar.istio.io/status';
const injectKey = 'sidecar.istio.io/inject';

/** Istio's `IgnoredNamespaces`: never injected, whatever the labels say. */
const ignoredNamespaces = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

type Json = Record<string, unknown>;

function record(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(record(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

function containersOf(spec: Json): Json[] {
  const list = spec['containers'];
  return Array.isArray(list) ? list.map(record) : [];
}

/**
 * Whether the injection webhook is called for this pod at all (the two webhooks of Istio's
 * MutatingWebhookConfiguration; their selectors look at the pod *label* only).
 */
function isWebhookSelected(
  podLabels: Record<string, string>,
  namespace: KubeObject | undefined,
  policy: SidecarInjectionPolicy,
): boolean {
  const nsLabels = namespace?.metadata.labels ?? {};
  let nsInjection = nsLabels['istio-injection'];
  // The lab has one control plane revision, so a namespace pinned to a revision is an enabled one.
  if (nsInjection === undefined && nsLabels['istio.io/rev'] !== undefined) nsInjection = 'enabled';
  if (nsInjection === undefined && policy === 'lab' && namespace?.metadata.name === 'default') {
    nsInjection = 'enabled';
  }
  const podLabel = podLabels[injectKey];
  // namespace.sidecar-injector.istio.io: istio-injection In (enabled), pod label NotIn (false).
  if (nsInjection === 'enabled') return podLabel !== 'false';
  // object.sidecar-injector.istio.io: istio-injection DoesNotExist, pod label In (true).
  if (nsInjection === undefined) return podLabel === 'true';
  return false;
}

/** The decision of Istio's webhook: selected by the webhook configuration, then `injectRequired`. */
export function isInjectionRequired(
  pod: KubeObject,
  namespace: KubeObject | undefined,
  policy: SidecarInjectionPolicy,
): boolean {
  const spec = record(pod['spec']);
  if (spec['hostNetwork'] === true) return false;
  const ns = pod.metadata.namespace ?? '';
  if (ignoredNamespaces.has(ns)) return false;
  const labels = pod.metadata.labels ?? {};
  if (!isWebhookSelected(labels, namespace, policy)) return false;
  // injectRequired with the injector's policy "enabled": no explicit value means inject; the label is
  // the newer API and wins over the annotation.
  const explicit = labels[injectKey] ?? pod.metadata.annotations?.[injectKey] ?? '';
  if (explicit === '') return true;
  return ['y', 'yes', 'true', 'on'].includes(explicit.toLowerCase());
}

/** The workload (deployment) name and kind, as Istio's GetDeployMetaFromPod derives it. */
export function workloadOf(pod: KubeObject): { name: string; kind: string; apiVersion: string } {
  const meta = pod.metadata;
  const fallback = { name: meta.name ?? '', kind: 'Pod', apiVersion: 'v1' };
  if (meta.generateName === undefined || meta.generateName === '') return fallback;
  const owner = (meta.ownerReferences ?? []).find((ref) => ref.controller === true);
  if (owner === undefined) return fallback;
  const hash = meta.labels?.['pod-template-hash'] ?? '';
  if (owner.kind === 'ReplicaSet' && hash !== '' && owner.name.endsWith(hash)) {
    return { name: owner.name.slice(0, -(hash.length + 1)), kind: 'Deployment', apiVersion: 'apps/v1' };
  }
  return { name: owner.name, kind: owner.kind, apiVersion: owner.apiVersion };
}

/** Containers a previous injection added (listed in its status annotation), for re-injection. */
function previouslyInjected(pod: KubeObject): Set<string> {
  const text = pod.metadata.annotations?.[statusAnnotation];
  if (text === undefined) return new Set();
  try {
    const status = record(JSON.parse(text) as unknown);
    const names = status['containers'];
    return new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []);
  } catch {
    return new Set(); // Istio ignores an unreadable status (injectionStatus returns nil)
  }
}

function fieldEnv(name: string, fieldPath: string): Json {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

/** The `istio-proxy` container of the injection template, as the lab runs it. */
function proxyContainer(
  config: SidecarInjectorConfig,
  appContainers: readonly Json[],
  workload: ReturnType<typeof workloadOf>,
  namespace: string,
): Json {
  const ports = appContainers.flatMap((c) => (Array.isArray(c['ports']) ? c['ports'] : []));
  const env: Json[] = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('INSTANCE_IP', 'status.podIP'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldEnv('HOST_IP', 'status.hostIP'),
    { name: 'ISTIO_META_POD_PORTS', value: JSON.stringify(ports) },
    {
      name: 'ISTIO_META_APP_CONTAINERS',
      value: appContainers.map((c) => (typeof c['name'] === 'string' ? c['name'] : '')).join(','),
    },
    { name: 'ISTIO_META_CLUSTER_ID', value: config.clusterId },
  ];
  if ((config.network ?? '') !== '') env.push({ name: 'ISTIO_META_NETWORK', value: config.network });
  if (workload.name !== '') {
    env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: workload.name });
    if (workload.kind !== 'Pod') {
      const plural = `${workload.kind.toLowerCase()}s`;
      env.push({
        name: 'ISTIO_META_OWNER',
        value: `kubernetes://apis/${workload.apiVersion}/namespaces/${namespace}/${plural}/${workload.name}`,
      });
    }
  }
  env.push({ name: 'ISTIO_META_MESH_ID', value: config.meshId ?? 'cluster.local' });
  return {
    name: proxyContainerName,
    image: config.proxyImage ?? defaultProxyImage,
    args: ['proxy', 'sidecar'],
    env,
    // The status port as Istio's template declares it (values `global.proxy.readiness*`, 1.x
    // defaults: initial delay 1 s, period 2 s, 30 failures); the lab's sidecar serves it on the pod IP.
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 1,
      periodSeconds: 2,
      failureThreshold: 30,
    },
  };
}

/** Adds the sidecar to `pod` (in place) as Istio's injection template would. */
export function injectSidecar(pod: KubeObject, config: SidecarInjectorConfig): void {
  const spec = record(pod['spec']);
  pod['spec'] = spec;
  const stale = previouslyInjected(pod);
  // Re-injection is idempotent: what the last injection added is removed first (webhook.go stripPod).
  const kept = containersOf(spec).filter((c) => typeof c['name'] !== 'string' || !stale.has(c['name']));
  const appContainers = kept.filter((c) => c['name'] !== proxyContainerName);
  const workload = workloadOf(pod);
  const namespace = pod.metadata.namespace ?? 'default';
  const labels = { ...pod.metadata.labels };
  labels['security.istio.io/tlsMode'] ??= 'istio';
  labels['service.istio.io/canonical-name'] ??=
    labels['app.kubernetes.io/name'] ?? labels['app'] ?? workload.name;
  labels['service.istio.io/canonical-revision'] ??=
    labels['app.kubernetes.io/version'] ?? labels['version'] ?? 'latest';
  pod.metadata.labels = labels;
  const annotations = strings(pod.metadata.annotations);
  annotations['istio.io/rev'] ??= 'default';
  const first = appContainers[0]?.['name'];
  if (typeof first === 'string') {
    // kubectl logs/exec pick this container instead of asking which one (template: first app container).
    annotations['kubectl.kubernetes.io/default-container'] ??= first;
    annotations['kubectl.kubernetes.io/default-logs-container'] ??= first;
  }
  annotations[statusAnnotation] = JSON.stringify({
    initContainers: null,
    containers: [proxyContainerName],
    volumes: null,
    imagePullSecrets: null,
    revision: 'default',
  });
  pod.metadata.annotations = annotations;
  // A pod that brings its own `istio-proxy` keeps it (the template is merged under the pod's fields;
  // Istio's gateway pods work that way); otherwise the sidecar is appended after the app containers.
  const own = kept.find((c) => c['name'] === proxyContainerName);
  const proxy = proxyContainer(config, appContainers, workload, namespace);
  spec['containers'] =
    own === undefined ? [...kept, proxy] : kept.map((c) => (c === own ? { ...proxy, ...own } : c));
}

/** The injector as a mutating admission step on Pod create. */
export function sidecarInjectorAdmission(config: SidecarInjectorConfig): MutatingAdmission {
  return {
    name: 'sidecar-injector.istio.io',
    admit(attributes: AdmissionAttributes): void {
      if (attributes.resource.plural !== 'pods' || attributes.resource.group !== '') return;
      if (!isInjectionRequired(attributes.object, attributes.namespace, config.policy)) return;
      injectSidecar(attributes.object, config);
    },
  };
}
