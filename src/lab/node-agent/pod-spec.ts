/**
 * A Pod as the node agent runs it, parsed from the API's JSON (untrusted: anything odd becomes a
 * problem reported on the pod, never an exception). Defaults are Kubernetes' (`pkg/apis/core/v1/
 * defaults.go`: restartPolicy Always, terminationGracePeriodSeconds 30, probe period 10 s, timeout 1 s,
 * success 1, failure 3, httpGet path "/" and scheme HTTP), applied here because the lab API server
 * stores objects as written.
 *
 * How each container runs (lab design "Images"):
 * - an image whose name contains `go-http-sample`, without a `command`: the built-in sample app;
 * - `spillway/proxyv2` (also Istio's `istio/proxyv2`, and `auto`, the placeholder Istio's gateway
 *   injection template uses): a proxy - the pod's sidecar, or a gateway's router proxy when its args
 *   say `router` (Istio's `proxy router` / `proxy sidecar` arguments) or it is the pod's only container;
 * - any other image with a `command`: that command as a local process;
 * - anything else cannot run here: ErrImagePull.
 */
import { isRecord, type JsonRecord } from '../../core/json-shape.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type ContainerRuntimeKind = 'sample-app' | 'proxy' | 'command' | 'unrunnable';
export type ProxyRole = 'sidecar' | 'router';

export type ProbeHandler =
  | {
      readonly type: 'httpGet';
      readonly path: string;
      readonly port: number | string;
      readonly host: string | undefined;
      readonly scheme: string;
      readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>;
    }
  | { readonly type: 'tcpSocket'; readonly port: number | string; readonly host: string | undefined }
  | { readonly type: 'exec'; readonly command: readonly string[] }
  /** A probe the agent cannot run (grpc, or no handler): every attempt errors with `reason`. */
  | { readonly type: 'unsupported'; readonly reason: string };

export interface ProbeSpec {
  readonly handler: ProbeHandler;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** Probe-level `terminationGracePeriodSeconds` (liveness/startup kills), if set. */
  readonly terminationGracePeriodSeconds: number | undefined;
}

export type EnvSource =
  | { readonly type: 'value'; readonly value: string }
  | { readonly type: 'fieldRef'; readonly fieldPath: string }
  | { readonly type: 'unsupported'; readonly what: string };

export interface EnvVarSpec {
  readonly name: string;
  readonly source: EnvSource;
}

export interface ContainerPortSpec {
  readonly containerPort: number;
  readonly name: string | undefined;
  readonly protocol: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy: string;
  readonly command: readonly string[] | undefined;
  readonly args: readonly string[] | undefined;
  readonly workingDir: string | undefined;
  readonly env: readonly EnvVarSpec[];
  readonly ports: readonly ContainerPortSpec[];
  readonly readinessProbe: ProbeSpec | undefined;
  readonly livenessProbe: ProbeSpec | undefined;
  readonly startupProbe: ProbeSpec | undefined;
  readonly runtime: ContainerRuntimeKind;
  /** For `proxy` containers. */
  readonly proxyRole: ProxyRole | undefined;
  /** Why this container cannot be created (CreateContainerConfigError), if it cannot. */
  readonly configProblem: string | undefined;
}

export interface PodSpecModel {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The controlling owner (a ReplicaSet for Deployment pods), if any. */
  readonly controller:
    { readonly kind: string; readonly name: string; readonly apiVersion: string } | undefined;
  readonly nodeName: string;
  readonly serviceAccountName: string;
  readonly restartPolicy: RestartPolicy;
  readonly terminationGracePeriodSeconds: number;
  /** Set once deletion was requested (graceful deletion). */
  readonly deletionTimestamp: string | undefined;
  readonly deletionGracePeriodSeconds: number | undefined;
  readonly containers: readonly ContainerSpec[];
  /** Why the pod as a whole cannot run here (reported on the pod), if it cannot. */
  readonly podProblem: string | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map((item) => (typeof item === 'string' ? item : String(item)));
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** A positive integer field with Kubernetes' default when unset or below `min`. */
function intField(record: JsonRecord, key: string, fallback: number, min: number): number {
  const v = record[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fallback;
}

function intOrString(v: unknown): number | string {
  return typeof v === 'number' ? v : typeof v === 'string' ? v : 0;
}

export function parseProbe(value: unknown): ProbeSpec | undefined {
  if (!isRecord(value)) return undefined;
  let handler: ProbeHandler;
  const httpGet = value['httpGet'];
  const tcp = value['tcpSocket'];
  const exec = value['exec'];
  if (isRecord(httpGet)) {
    const headers = Array.isArray(httpGet['httpHeaders'])
      ? httpGet['httpHeaders']
          .filter(isRecord)
          .map((h) => ({ name: str(h['name']) ?? '', value: str(h['value']) ?? '' }))
          .filter((h) => h.name !== '')
      : [];
    handler = {
      type: 'httpGet',
      path: str(httpGet['path']) ?? '/',
      port: intOrString(httpGet['port']),
      host: str(httpGet['host']) || undefined,
      scheme: str(httpGet['scheme']) ?? 'HTTP',
      headers,
    };
  } else if (isRecord(tcp)) {
    handler = { type: 'tcpSocket', port: intOrString(tcp['port']), host: str(tcp['host']) || undefined };
  } else if (isRecord(exec)) {
    handler = { type: 'exec', command: strings(exec['command']) ?? [] };
  } else if (isRecord(value['grpc'])) {
    handler = { type: 'unsupported', reason: 'grpc probes are not supported by the lab node agent' };
  } else {
    handler = { type: 'unsupported', reason: 'the probe has no handler (httpGet, tcpSocket or exec)' };
  }
  const grace = value['terminationGracePeriodSeconds'];
  return {
    handler,
    initialDelaySeconds: intField(value, 'initialDelaySeconds', 0, 0),
    periodSeconds: intField(value, 'periodSeconds', 10, 1),
    timeoutSeconds: intField(value, 'timeoutSeconds', 1, 1),
    successThreshold: intField(value, 'successThreshold', 1, 1),
    failureThreshold: intField(value, 'failureThreshold', 3, 1),
    terminationGracePeriodSeconds: typeof grace === 'number' && grace >= 0 ? grace : undefined,
  };
}

/** Downward API fields the agent fills in (`pkg/kubelet/kubelet_pods.go` podFieldSelectorRuntimeValue). */
export const supportedFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.podIP',
  'status.podIPs',
  'status.hostIP',
  'status.hostIPs',
];

function parseEnv(value: unknown): { env: EnvVarSpec[]; problem: string | undefined } {
  const env: EnvVarSpec[] = [];
  let problem: string | undefined;
  if (!Array.isArray(value)) return { env, problem };
  for (const item of value) {
    if (!isRecord(item) || typeof item['name'] !== 'string') continue;
    const name = item['name'];
    const from = item['valueFrom'];
    if (isRecord(from)) {
      const fieldPath = str(isRecord(from['fieldRef']) ? from['fieldRef']['fieldPath'] : undefined);
      const isLabelRef =
        fieldPath !== undefined && /^metadata\.(labels|annotations)\['.+'\]$/.test(fieldPath);
      if (fieldPath !== undefined && (supportedFieldPaths.includes(fieldPath) || isLabelRef)) {
        env.push({ name, source: { type: 'fieldRef', fieldPath } });
      } else {
        const what =
          fieldPath !== undefined ? `fieldRef ${fieldPath}` : (Object.keys(from)[0] ?? 'an empty valueFrom');
        problem ??= `env ${name}: valueFrom ${what} is not supported by the lab node agent`;
        env.push({ name, source: { type: 'unsupported', what } });
      }
    } else {
      env.push({ name, source: { type: 'value', value: str(item['value']) ?? '' } });
    }
  }
  return { env, problem };
}

const proxyImagePattern = /(^|\/)(spillway|istio)\/proxyv2([:@]|$)/;

function runtimeOf(container: JsonRecord, image: string, hasCommand: boolean): ContainerRuntimeKind {
  const name = str(container['name']);
  if (proxyImagePattern.test(image) || (image === 'auto' && name === 'istio-proxy')) return 'proxy';
  if (image.includes('go-http-sample') && !hasCommand) return 'sample-app';
  return hasCommand ? 'command' : 'unrunnable';
}

function parseContainer(value: JsonRecord, index: number, containerCount: number): ContainerSpec {
  const name = str(value['name']) ?? `container-${index}`;
  const image = str(value['image']) ?? '';
  const command = strings(value['command']);
  const args = strings(value['args']);
  const runtime = runtimeOf(value, image, command !== undefined && command.length > 0);
  const { env, problem } = parseEnv(value['env']);
  let configProblem = problem;
  if (value['envFrom'] !== undefined) configProblem ??= 'envFrom is not supported by the lab node agent';
  if (image === '') configProblem ??= 'the container has no image';
  const ports = Array.isArray(value['ports'])
    ? value['ports'].filter(isRecord).map((p) => ({
        containerPort: typeof p['containerPort'] === 'number' ? p['containerPort'] : 0,
        name: str(p['name']),
        protocol: str(p['protocol']) ?? 'TCP',
      }))
    : [];
  let proxyRole: ProxyRole | undefined;
  if (runtime === 'proxy') {
    if (args?.includes('router') === true) proxyRole = 'router';
    else if (args?.includes('sidecar') === true) proxyRole = 'sidecar';
    else proxyRole = containerCount === 1 ? 'router' : 'sidecar';
  }
  return {
    name,
    image,
    imagePullPolicy:
      str(value['imagePullPolicy']) ?? (/:latest$|^[^:]*$/.test(image) ? 'Always' : 'IfNotPresent'),
    command,
    args,
    workingDir: str(value['workingDir']) || undefined,
    env,
    ports,
    readinessProbe: parseProbe(value['readinessProbe']),
    livenessProbe: parseProbe(value['livenessProbe']),
    startupProbe: parseProbe(value['startupProbe']),
    runtime,
    proxyRole,
    configProblem,
  };
}

function restartPolicyOf(v: unknown): RestartPolicy {
  return v === 'OnFailure' || v === 'Never' ? v : 'Always';
}

/** Parses a Pod object (wire JSON). Never throws. */
export function parsePodSpec(pod: unknown): PodSpecModel {
  const meta = isRecord(pod) && isRecord(pod['metadata']) ? pod['metadata'] : {};
  const spec = isRecord(pod) && isRecord(pod['spec']) ? pod['spec'] : {};
  const rawContainers = Array.isArray(spec['containers']) ? spec['containers'].filter(isRecord) : [];
  const containers = rawContainers.map((c, i) => parseContainer(c, i, rawContainers.length));
  let podProblem: string | undefined;
  if (containers.length === 0) podProblem = 'the pod has no containers';
  const init = spec['initContainers'];
  if (Array.isArray(init) && init.length > 0)
    podProblem ??= 'init containers are not supported by the lab node agent';
  if (spec['hostNetwork'] === true)
    podProblem ??=
      'hostNetwork pods are not supported by the lab node agent (every lab pod has its own address)';
  if (containers.filter((c) => c.runtime === 'proxy').length > 1)
    podProblem ??= 'a pod can have at most one proxy (spillway/proxyv2) container';
  const grace = spec['terminationGracePeriodSeconds'];
  const owner = Array.isArray(meta['ownerReferences'])
    ? meta['ownerReferences'].filter(isRecord).find((ref) => ref['controller'] === true)
    : undefined;
  const deletionGrace = meta['deletionGracePeriodSeconds'];
  return {
    uid: str(meta['uid']) ?? '',
    name: str(meta['name']) ?? '',
    namespace: str(meta['namespace']) ?? 'default',
    labels: stringMap(meta['labels']),
    annotations: stringMap(meta['annotations']),
    controller:
      owner === undefined
        ? undefined
        : {
            kind: str(owner['kind']) ?? '',
            name: str(owner['name']) ?? '',
            apiVersion: str(owner['apiVersion']) ?? '',
          },
    nodeName: str(spec['nodeName']) ?? '',
    serviceAccountName: str(spec['serviceAccountName']) ?? 'default',
    restartPolicy: restartPolicyOf(spec['restartPolicy']),
    terminationGracePeriodSeconds: typeof grace === 'number' && grace >= 0 ? grace : 30,
    deletionTimestamp: str(meta['deletionTimestamp']),
    deletionGracePeriodSeconds: typeof deletionGrace === 'number' ? deletionGrace : undefined,
    containers,
    podProblem,
  };
}

/** The pod's sidecar or router proxy container, if any. */
export function proxyContainerOf(pod: PodSpecModel): ContainerSpec | undefined {
  return pod.containers.find((c) => c.runtime === 'proxy');
}

/** Whether the pod's app containers sit behind a sidecar (which then owns podIP:containerPort). */
export function hasSidecar(pod: PodSpecModel): boolean {
  return proxyContainerOf(pod)?.proxyRole === 'sidecar';
}

/**
 * The container faults apply to by default: `kubectl.kubernetes.io/default-container` (which
 * Istio's injector sets to the first app container), else the first container that is not a proxy.
 */
export function defaultAppContainer(pod: PodSpecModel): ContainerSpec | undefined {
  const named = pod.annotations['kubectl.kubernetes.io/default-container'];
  const byAnnotation = pod.containers.find((c) => c.name === named && c.runtime !== 'proxy');
  return byAnnotation ?? pod.containers.find((c) => c.runtime !== 'proxy');
}

/** `<namespace>_<name>_<uid>`, the kubelet's pod directory and log directory name. */
export function podDirName(pod: Pick<PodSpecModel, 'namespace' | 'name' | 'uid'>): string {
  return `${pod.namespace}_${pod.name}_${pod.uid}`;
}
