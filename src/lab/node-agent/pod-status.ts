/**
 * The Pod status the agent writes through the `status` subresource, built like the kubelet's
 * `generateAPIPodStatus` (`pkg/kubelet/kubelet_pods.go`) from what it knows about each container:
 * - phase from the container states (`getPhase`): a container waiting for its first start makes the
 *   pod Pending; one running makes it Running; when all have stopped, restartPolicy Always keeps it
 *   Running (they restart), otherwise Succeeded if all exited 0, Failed under Never, Running under
 *   OnFailure (the failed ones restart). A container in CrashLoopBackOff counts as stopped;
 * - conditions (`pkg/kubelet/status/generate.go`): PodReadyToStartContainers (the pod has its
 *   address), Initialized (no init containers), ContainersReady and Ready ("containers with unready
 *   status: [a b]"), and every condition the kubelet does not own (PodScheduled) kept as found.
 *   lastTransitionTime moves only when a condition's status changes;
 * - containerStatuses in spec order with state, lastState, ready, started, restartCount, image,
 *   imageID and containerID.
 */

export type ContainerState =
  | { readonly kind: 'waiting'; readonly reason: string; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAtMs: number }
  | TerminatedState;

export interface TerminatedState {
  readonly kind: 'terminated';
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly containerID: string;
}

/** What the agent knows about one container (wall-clock ms in states). */
export interface ContainerView {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  /** The current instance's id (`spillway://<hex>`), once one was created. */
  readonly containerID: string | undefined;
  readonly state: ContainerState;
  readonly lastTerminated: TerminatedState | undefined;
  readonly restartCount: number;
  readonly ready: boolean;
  readonly started: boolean;
}

export interface PodView {
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly podIP: string | undefined;
  readonly hostIP: string;
  readonly startTimeMs: number;
  readonly containers: readonly ContainerView[];
  /** The pod is being deleted and its containers will not start again. */
  readonly isTerminal: boolean;
  /** The status as last read from the API (conditions are carried over from it). */
  readonly previous: Readonly<Record<string, unknown>> | undefined;
  readonly nowMs: number;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** RFC 3339 with whole seconds, as Kubernetes serializes `metav1.Time`. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** kubelet `getPhase` for pods without init containers. */
export function podPhase(
  restartPolicy: PodView['restartPolicy'],
  containers: readonly ContainerView[],
  isTerminal: boolean,
): PodPhase {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.state.kind === 'running') running++;
    else if (c.state.kind === 'terminated') {
      stopped++;
      if (c.state.exitCode === 0) succeeded++;
    } else if (c.lastTerminated !== undefined) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (isTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

const ownedConditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];

function conditionsOf(view: PodView, phase: PodPhase): Condition[] {
  const unready = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const isDone = phase === 'Succeeded' || phase === 'Failed';
  const readiness = (): Omit<Condition, 'type'> => {
    if (isDone) return { status: 'False', reason: 'PodCompleted' };
    if (unready.length === 0) return { status: 'True' };
    return {
      status: 'False',
      reason: 'ContainersNotReady',
      message: `containers with unready status: [${unready.join(' ')}]`,
    };
  };
  return [
    { type: 'PodReadyToStartContainers', status: view.podIP !== undefined && !isDone ? 'True' : 'False' },
    { type: 'Initialized', status: 'True' },
    { type: 'Ready', ...readiness() },
    { type: 'ContainersReady', ...readiness() },
  ];
}

function previousConditions(view: PodView): Array<Record<string, unknown>> {
  const list = view.previous?.['conditions'];
  return Array.isArray(list)
    ? list.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null)
    : [];
}

function withTransitionTimes(
  view: PodView,
  conditions: readonly Condition[],
): Array<Record<string, unknown>> {
  const old = previousConditions(view);
  const owned = conditions.map((c) => {
    const before = old.find((o) => o['type'] === c.type);
    const since =
      before !== undefined &&
      before['status'] === c.status &&
      typeof before['lastTransitionTime'] === 'string'
        ? before['lastTransitionTime']
        : kubeTime(view.nowMs);
    return { ...c, lastProbeTime: null, lastTransitionTime: since };
  });
  const others = old.filter((o) => typeof o['type'] === 'string' && !ownedConditions.includes(o['type']));
  return [...owned, ...others];
}

function terminatedJson(t: TerminatedState): Record<string, unknown> {
  return {
    exitCode: t.exitCode,
    ...(t.signal !== undefined ? { signal: t.signal } : {}),
    reason: t.reason,
    ...(t.message !== undefined ? { message: t.message } : {}),
    startedAt: kubeTime(t.startedAtMs),
    finishedAt: kubeTime(t.finishedAtMs),
    containerID: t.containerID,
  };
}

function stateJson(state: ContainerState): Record<string, unknown> {
  switch (state.kind) {
    case 'waiting':
      return {
        waiting: { reason: state.reason, ...(state.message !== undefined ? { message: state.message } : {}) },
      };
    case 'running':
      return { running: { startedAt: kubeTime(state.startedAtMs) } };
    case 'terminated':
      return { terminated: terminatedJson(state) };
  }
}

export function containerStatusJson(c: ContainerView): Record<string, unknown> {
  return {
    name: c.name,
    state: stateJson(c.state),
    lastState: c.lastTerminated === undefined ? {} : { terminated: terminatedJson(c.lastTerminated) },
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.containerID === undefined ? '' : c.imageID,
    ...(c.containerID !== undefined ? { containerID: c.containerID } : {}),
    started: c.started,
  };
}

/** The whole `status` object. */
export function buildPodStatus(view: PodView): Record<string, unknown> {
  const phase = podPhase(view.restartPolicy, view.containers, view.isTerminal);
  return {
    phase,
    conditions: withTransitionTimes(view, conditionsOf(view, phase)),
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    ...(view.podIP !== undefined ? { podIP: view.podIP, podIPs: [{ ip: view.podIP }] } : {}),
    startTime: kubeTime(view.startTimeMs),
    containerStatuses: view.containers.map(containerStatusJson),
  };
}

/** Whether the pod counts as Ready in `status` (its Ready condition is True). */
export function isStatusReady(status: Record<string, unknown>): boolean {
  const conditions = status['conditions'];
  return (
    Array.isArray(conditions) &&
    conditions.some(
      (c) => typeof c === 'object' && c !== null && c['type'] === 'Ready' && c['status'] === 'True',
    )
  );
}
