/**
 * One container of a pod over its whole life, as the kubelet's sync loop handles it
 * (`pkg/kubelet/kuberuntime/kuberuntime_manager.go` computePodActions/SyncPod,
 * `kuberuntime_container.go` startContainer/killContainer, `pkg/kubelet/images/image_manager.go`):
 * - "pull" (the lab decides whether it can run the image: Pulled, or ErrImagePull then
 *   ImagePullBackOff with the image back-off), create (env, command), start - with the kubelet's
 *   events (Pulling, Pulled, Failed, Created, Started);
 * - on exit: restart as `restartPolicy` says, at once or after the crash back-off (CrashLoopBackOff,
 *   BackOff event), with `restartCount` and `lastState`;
 * - probes (ProbeLoop): readiness, and liveness/startup failures kill and restart it (Killing);
 * - a stop (pod deletion) with the grace period; faults passed to the running instance.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock, Timer } from '../../core/clock.js';
import type { FaultSpec } from './app-fault.js';
import {
  appListenHost,
  resolveContainer,
  sidecarHttpProxyPort,
  type PodNetwork,
  type ResolvedContainer,
} from './container-env.js';
import { ContainerStartError, type ContainerExit, type RunningContainer } from './container-runtime.js';
import type { EventType } from './kubelet-events.js';
import type { ContainerSpec, PodSpecModel } from './pod-spec.js';
import type { ContainerState, ContainerView, TerminatedState } from './pod-status.js';
import { ProbeLoop, type ProbeLoopDeps } from './probe-loop.js';
import { startProcessContainer } from './process-container.js';
import type { ProcessRegistry } from './process-registry.js';
import type { BootstrapValidator } from './bootstrap-validator.js';
import { startProxyContainer } from './proxy-container.js';
import { goDurationText, RestartBackoff } from './restart-backoff.js';
import { startSampleAppContainer } from './sample-app-container.js';

/** The container cannot be created (CreateContainerConfigError), e.g. its proxy has no control plane. */
export class ContainerConfigError extends Error {}

export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface SlotDeps {
  readonly clock: Clock;
  readonly processes: ProcessRegistry;
  readonly validator: BootstrapValidator;
  readonly runProbe: ProbeLoopDeps['runProbe'];
  readonly crashBackoff: BackoffSettings;
  readonly imageBackoff: BackoffSettings;
  /** The bootstrap of this pod's proxy, from the proxy container's resolved env; throws ContainerConfigError. */
  readonly proxyBootstrap: (env: Readonly<Record<string, string>>) => Promise<Record<string, unknown>>;
}

/** What a slot knows of its pod. */
export interface SlotPod {
  readonly spec: PodSpecModel;
  readonly net: PodNetwork;
  readonly podDir: string;
  /** The fault currently applied to this container, if any. */
  fault(container: string): FaultSpec | undefined;
  event(container: string, type: EventType, reason: string, message: string): void;
  onChange(): void;
}

const unrunnableMessage =
  'the lab cannot run this image: only images containing go-http-sample (the built-in sample app) and ' +
  'spillway/proxyv2 run without a command; give the container a command to run it as a local process';

function imageIdOf(image: string): string {
  const repository = image.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return `${repository}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export class ContainerSlot {
  private state: ContainerState = { kind: 'waiting', reason: 'ContainerCreating' };
  private lastTerminated: TerminatedState | undefined;
  private restartCount = 0;
  private containerID: string | undefined;
  private instance: RunningContainer | undefined;
  private startedAtWallMs = 0;
  private generation = 0;
  private timer: Timer | undefined;
  private isTerminating = false;
  private readonly crashBackoff: RestartBackoff;
  private readonly imageBackoff: RestartBackoff;
  private lastPullMs = 0;
  private readonly probes: ProbeLoop;
  /** The start in progress (pull, create, start), awaited by `terminate`. */
  private running: Promise<void> = Promise.resolve();
  readonly logPath: string;

  constructor(
    readonly spec: ContainerSpec,
    private readonly pod: SlotPod,
    private readonly deps: SlotDeps,
    initialRestartCount = 0,
  ) {
    this.restartCount = initialRestartCount;
    this.logPath = join(pod.podDir, `${spec.name}.log`);
    this.crashBackoff = new RestartBackoff(deps.crashBackoff.initialMs, deps.crashBackoff.maxMs);
    this.imageBackoff = new RestartBackoff(deps.imageBackoff.initialMs, deps.imageBackoff.maxMs);
    this.probes = new ProbeLoop(spec, {
      clock: deps.clock,
      runProbe: deps.runProbe,
      onChange: () => pod.onChange(),
      onUnhealthy: (message) => pod.event(spec.name, 'Warning', 'Unhealthy', message),
      onKill: (kind) => this.killForProbe(kind),
    });
  }

  private get podRef(): string {
    const p = this.pod.spec;
    return `${p.name}_${p.namespace}(${p.uid})`;
  }

  private event(type: EventType, reason: string, message: string): void {
    this.pod.event(this.spec.name, type, reason, message);
  }

  private setState(state: ContainerState): void {
    this.state = state;
    this.pod.onChange();
  }

  /** Starts the container (from "pull" on). */
  start(): void {
    this.running = this.run();
  }

  private async run(): Promise<void> {
    const gen = ++this.generation;
    const spec = this.spec;
    if (spec.configProblem !== undefined) {
      this.event('Warning', 'Failed', `Error: ${spec.configProblem}`);
      this.setState({ kind: 'waiting', reason: 'CreateContainerConfigError', message: spec.configProblem });
      return;
    }
    if (spec.runtime === 'unrunnable') {
      this.pullImage(gen);
      return;
    }
    if (spec.imagePullPolicy === 'Always') {
      this.event('Normal', 'Pulling', `Pulling image "${spec.image}"`);
      this.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${spec.image}" in 0s (0s including waiting)`,
      );
    } else {
      this.event('Normal', 'Pulled', `Container image "${spec.image}" already present on machine`);
    }
    const resolved = resolveContainer(this.pod.spec, spec, this.pod.net);
    let instance: RunningContainer;
    try {
      instance = await this.launch(resolved);
    } catch (err) {
      if (gen !== this.generation) return;
      const message = err instanceof Error ? err.message : String(err);
      this.event('Warning', 'Failed', `Error: ${message}`);
      if (err instanceof ContainerConfigError) {
        // Retried like the kubelet's next sync, e.g. until the control plane address is known.
        this.setState({ kind: 'waiting', reason: 'CreateContainerConfigError', message });
        this.timer = this.deps.clock.setTimer(this.deps.crashBackoff.initialMs, () => this.start());
        return;
      }
      const now = this.deps.clock.wallMs();
      this.containerID = this.newContainerId();
      this.onExit(
        gen,
        { exitCode: err instanceof ContainerStartError ? err.exitCode : 128, reason: 'StartError', message },
        now,
      );
      return;
    }
    if (gen !== this.generation || this.isTerminating) {
      await instance.stop(0);
      return;
    }
    this.instance = instance;
    this.containerID = this.newContainerId();
    this.startedAtWallMs = this.deps.clock.wallMs();
    if (instance.pid !== undefined)
      this.deps.processes.add({
        pid: instance.pid,
        pod: `${this.pod.spec.namespace}/${this.pod.spec.name}`,
        container: spec.name,
        program: resolved.command[0] ?? '',
      });
    this.event('Normal', 'Created', `Created container: ${spec.name}`);
    this.event('Normal', 'Started', `Started container ${spec.name}`);
    const fault = this.pod.fault(spec.name);
    if (fault !== undefined && spec.runtime === 'command') await instance.setFault(fault);
    this.probes.start({
      defaultHost:
        spec.runtime === 'proxy' || !this.pod.net.hasSidecar ? this.pod.net.podIP : this.pod.net.localhost,
      ports: spec.ports,
      env: resolved.env,
      workingDir: spec.workingDir,
    });
    if (spec.runtime === 'proxy' && !this.probes.hasProbe('readiness'))
      void instance.whenLive?.().then(() => this.pod.onChange());
    void instance.exited.then((exit) => this.onExit(gen, exit, this.deps.clock.wallMs()));
    this.setState({ kind: 'running', startedAtMs: this.startedAtWallMs });
  }

  private launch(resolved: ResolvedContainer): Promise<RunningContainer> {
    const { net } = this.pod;
    const clock = this.deps.clock;
    switch (this.spec.runtime) {
      case 'sample-app':
        return startSampleAppContainer({
          env: resolved.declaredEnv,
          podIP: net.podIP,
          listenHost: appListenHost(net),
          httpProxy: net.hasSidecar ? { host: net.localhost, port: sidecarHttpProxyPort } : undefined,
          logPath: this.logPath,
          clock,
          fault: this.pod.fault(this.spec.name),
        });
      case 'command':
        return startProcessContainer({
          command: resolved.command,
          args: resolved.args,
          env: resolved.env,
          workingDir: this.spec.workingDir,
          logPath: this.logPath,
          clock,
        });
      case 'proxy':
        return this.deps.proxyBootstrap(resolved.env).then((bootstrap) =>
          startProxyContainer({
            bootstrap,
            bootstrapPath: join(this.pod.podDir, `${this.spec.name}-bootstrap.json`),
            logPath: this.logPath,
            clock,
            validator: this.deps.validator,
          }),
        );
      case 'unrunnable':
        return Promise.reject(new ContainerStartError(unrunnableMessage));
    }
  }

  private newContainerId(): string {
    const seed = `${this.pod.spec.uid}/${this.spec.name}/${this.restartCount}/${this.deps.clock.wallMs()}`;
    return `spillway://${createHash('sha256').update(seed).digest('hex').slice(0, 32)}`;
  }

  /** The image cannot run here: ErrImagePull, then ImagePullBackOff until the back-off allows a retry. */
  private pullImage(gen: number): void {
    if (gen !== this.generation || this.isTerminating) return;
    const image = this.spec.image;
    const now = this.deps.clock.monotonicMs();
    if (this.imageBackoff.isInBackOffSince(this.lastPullMs, now)) {
      this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.event('Warning', 'Failed', 'Error: ImagePullBackOff');
      this.setState({
        kind: 'waiting',
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}": ErrImagePull: ${unrunnableMessage}`,
      });
      this.timer = this.deps.clock.setTimer(this.imageBackoff.remainingMs(this.lastPullMs, now), () =>
        this.pullImage(gen),
      );
      return;
    }
    this.event('Normal', 'Pulling', `Pulling image "${image}"`);
    this.event('Warning', 'Failed', `Failed to pull image "${image}": ${unrunnableMessage}`);
    this.event('Warning', 'Failed', 'Error: ErrImagePull');
    this.imageBackoff.next(now, now);
    this.lastPullMs = now;
    this.setState({ kind: 'waiting', reason: 'ErrImagePull', message: unrunnableMessage });
    // The kubelet's next sync finds the image in back-off.
    this.timer = this.deps.clock.setTimer(1000, () => this.pullImage(gen));
  }

  private onExit(gen: number, exit: ContainerExit, finishedWallMs: number): void {
    if (gen !== this.generation) return;
    this.generation++; // this instance is done; late callbacks of it are ignored
    const instance = this.instance;
    this.instance = undefined;
    if (instance?.pid !== undefined) this.deps.processes.remove(instance.pid);
    this.probes.stop();
    const terminated: TerminatedState = {
      kind: 'terminated',
      exitCode: exit.exitCode,
      reason: exit.reason,
      ...(exit.message !== undefined ? { message: exit.message } : {}),
      startedAtMs: instance === undefined ? finishedWallMs : this.startedAtWallMs,
      finishedAtMs: finishedWallMs,
      containerID: this.containerID ?? '',
    };
    const policy = this.pod.spec.restartPolicy;
    const shouldRestart = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
    if (this.isTerminating || !shouldRestart) {
      this.setState(terminated);
      return;
    }
    this.lastTerminated = terminated;
    const finishedMs = this.deps.clock.monotonicMs();
    const restartGen = this.generation;
    if (this.crashBackoff.isInBackOffSince(finishedMs, finishedMs)) {
      const delay = goDurationText(this.crashBackoff.currentMs());
      this.event(
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${this.spec.name} in pod ${this.podRef}`,
      );
      this.setState({
        kind: 'waiting',
        reason: 'CrashLoopBackOff',
        message: `back-off ${delay} restarting failed container=${this.spec.name} pod=${this.podRef}`,
      });
      this.timer = this.deps.clock.setTimer(this.crashBackoff.remainingMs(finishedMs, finishedMs), () =>
        this.restart(restartGen, finishedMs),
      );
    } else {
      this.restart(restartGen, finishedMs);
    }
  }

  private restart(gen: number, finishedMs: number): void {
    if (gen !== this.generation || this.isTerminating) return;
    this.crashBackoff.next(finishedMs, this.deps.clock.monotonicMs());
    this.restartCount++;
    this.start();
  }

  private killForProbe(kind: 'readiness' | 'liveness' | 'startup'): void {
    const instance = this.instance;
    if (instance === undefined || this.isTerminating) return;
    this.event('Normal', 'Killing', `Container ${this.spec.name} failed ${kind} probe, will be restarted`);
    const probe = kind === 'startup' ? this.spec.startupProbe : this.spec.livenessProbe;
    const graceS = probe?.terminationGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds;
    void instance.stop(graceS * 1000);
  }

  /** Kills the running instance at once (the `kill` fault); it restarts as its policy says. */
  killNow(): boolean {
    if (this.instance === undefined) return false;
    this.instance.kill();
    return true;
  }

  /** Passes a fault (or its healing) to the running instance. */
  async applyFault(fault: FaultSpec | undefined): Promise<void> {
    await this.instance?.setFault(fault);
  }

  /** Stops the container for good (pod deletion, agent shutdown). */
  async terminate(graceMs: number): Promise<void> {
    this.isTerminating = true;
    this.timer?.cancel();
    this.probes.stop();
    await this.running;
    const instance = this.instance;
    if (instance === undefined) {
      this.generation++;
      return;
    }
    this.event('Normal', 'Killing', `Stopping container ${this.spec.name}`);
    const gen = this.generation;
    const exit = await instance.stop(graceMs);
    this.onExit(gen, exit, this.deps.clock.wallMs());
  }

  /** The status view of this container. */
  view(): ContainerView {
    const isRunning = this.state.kind === 'running';
    const started = isRunning && this.probes.isStarted();
    const isLive =
      this.spec.runtime !== 'proxy' ||
      this.probes.hasProbe('readiness') ||
      this.instance?.isLive?.() === true;
    return {
      name: this.spec.name,
      image: this.spec.image,
      imageID: imageIdOf(this.spec.image),
      containerID: this.containerID,
      state: this.state,
      lastTerminated: this.lastTerminated,
      restartCount: this.restartCount,
      ready: started && this.probes.isReadyByProbe() && isLive,
      started,
    };
  }

  /** Facts for the control API. */
  info(): Record<string, unknown> {
    const state = this.state;
    return {
      name: this.spec.name,
      image: this.spec.image,
      runtime: this.spec.runtime,
      state: state.kind,
      ...(state.kind === 'waiting' ? { reason: state.reason } : {}),
      ...(state.kind === 'terminated' ? { reason: state.reason, exitCode: state.exitCode } : {}),
      restartCount: this.restartCount,
      ready: this.view().ready,
      pid: this.instance?.pid ?? null,
      logPath: this.logPath,
      ...(this.instance?.describe() ?? {}),
    };
  }

  /** The pid of the running child process, if this container is one. */
  pid(): number | undefined {
    return this.instance?.pid;
  }
}
