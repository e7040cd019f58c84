/**
 * A container's environment and command line as the kubelet builds them
 * (`pkg/kubelet/kubelet_pods.go` makeEnvironmentVariables, `pkg/kubelet/container/helpers.go`
 * ExpandContainerCommandAndArgs, `third_party/forked/golang/expansion/expand.go`):
 * - `env` in order; each value may use `$(NAME)` of a variable defined before it; `valueFrom.fieldRef`
 *   takes the pod's name, namespace, uid, node, service account, labels/annotations, pod IP(s) and host
 *   IP(s);
 * - `command` and `args` expand `$(NAME)` with the whole environment; `$$` is a literal `$`; a
 *   reference to an undefined variable stays as written.
 *
 * The lab adds what a container image and the pod's network would give: `PATH` (the agent's, so
 * commands resolve on this machine), `HOSTNAME` = the pod name, `SPILLWAY_LISTEN_HOST` (the address
 * the app should bind: the pod's localhost when a sidecar owns the pod IP, else the pod IP), and with
 * a sidecar `http_proxy`/`HTTP_PROXY` = http://<localhost>:15001 and `no_proxy`/`NO_PROXY` for the
 * pod's own addresses (ADR 0008: outbound capture is an HTTP proxy). Variables the container sets
 * itself win.
 */
import type { ContainerSpec, PodSpecModel } from './pod-spec.js';

export interface PodNetwork {
  readonly podIP: string;
  readonly hostIP: string;
  readonly localhost: string;
  /** Whether a sidecar owns podIP:containerPort (the app then listens on its localhost). */
  readonly hasSidecar: boolean;
  /** The agent's PATH. */
  readonly path: string | undefined;
}

export const sidecarHttpProxyPort = 15001;

/**
 * Expands `$(NAME)` references (Kubernetes' expansion syntax) with `lookup`; `$$` escapes a `$`;
 * unknown names and unterminated references are kept as written.
 */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The value of a downward-API field path for this pod. */
export function fieldRefValue(fieldPath: string, pod: PodSpecModel, net: PodNetwork): string {
  const labelRef = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelRef !== null) {
    const map = labelRef[1] === 'labels' ? pod.labels : pod.annotations;
    return map[labelRef[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'metadata.uid':
      return pod.uid;
    case 'spec.nodeName':
      return pod.nodeName;
    case 'spec.serviceAccountName':
      return pod.serviceAccountName;
    case 'status.podIP':
    case 'status.podIPs':
      return net.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return net.hostIP;
    default:
      return '';
  }
}

/** Where an app of this pod should listen. */
export function appListenHost(net: PodNetwork): string {
  return net.hasSidecar ? net.localhost : net.podIP;
}

/** The lab's variables that come before the container's own. */
function baseEnvironment(pod: PodSpecModel, container: ContainerSpec, net: PodNetwork): Map<string, string> {
  const env = new Map<string, string>();
  if (net.path !== undefined) env.set('PATH', net.path);
  env.set('HOSTNAME', pod.name);
  env.set('SPILLWAY_LISTEN_HOST', appListenHost(net));
  if (net.hasSidecar && container.runtime !== 'proxy') {
    const proxy = `http://${net.localhost}:${sidecarHttpProxyPort}`;
    const noProxy = [net.localhost, net.podIP, 'localhost', '127.0.0.1'].join(',');
    env.set('http_proxy', proxy);
    env.set('HTTP_PROXY', proxy);
    env.set('no_proxy', noProxy);
    env.set('NO_PROXY', noProxy);
  }
  return env;
}

export interface ResolvedContainer {
  readonly env: Readonly<Record<string, string>>;
  /** The container's `env` alone (what the sample app reads), after expansion. */
  readonly declaredEnv: Readonly<Record<string, string>>;
  readonly command: readonly string[];
  readonly args: readonly string[];
}

/** Resolves env, command and args of `container` (its `configProblem` must be undefined). */
export function resolveContainer(
  pod: PodSpecModel,
  container: ContainerSpec,
  net: PodNetwork,
): ResolvedContainer {
  const declared = new Map<string, string>();
  for (const variable of container.env) {
    let value = '';
    if (variable.source.type === 'value') {
      // Only variables declared earlier in `env` are visible (kubelet's tmpEnv mapping).
      value = expandReferences(variable.source.value, (name) => declared.get(name));
    } else if (variable.source.type === 'fieldRef') {
      value = fieldRefValue(variable.source.fieldPath, pod, net);
    }
    declared.set(variable.name, value);
  }
  const env = baseEnvironment(pod, container, net);
  for (const [name, value] of declared) env.set(name, value);
  const lookup = (name: string): string | undefined => env.get(name);
  return {
    env: Object.fromEntries(env),
    declaredEnv: Object.fromEntries(declared),
    command: (container.command ?? []).map((part) => expandReferences(part, lookup)),
    args: (container.args ?? []).map((part) => expandReferences(part, lookup)),
  };
}
