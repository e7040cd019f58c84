/**
 * One pod on this node, from scheduling to deletion (the kubelet's pod worker): its "sandbox" (an
 * address from the node's range and a directory for logs and bootstraps), its containers
 * (ContainerSlot each), its status written through the `status` subresource whenever something
 * changes (coalesced, retried while the API server is away), faults on its app, and termination:
 * SIGTERM-like stops with the grace period, then the address goes back to the pool. A pod deleted
 * gracefully (deletionTimestamp set) gets its final status and is then deleted for good with grace 0
 * and a UID precondition, as the kubelet's status manager does; a pod the API server deleted at once
 * is only torn down.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Timer } from '../../core/clock.js';
import { isRecord } from '../../core/json-shape.js';
import type { Logger } from '../../core/logger.js';
import { supportedFaultKinds, type FaultSpec } from './app-fault.js';
import { ContainerSlot, type SlotDeps } from './container-slot.js';
import type { PodNetwork } from './container-env.js';
import { describeResponse, podPath, type KubeRest } from './kube-rest.js';
import type { EventType, KubeletEvents } from './kubelet-events.js';
import { podLocalhost, type PodIpAllocator } from './pod-address.js';
import {
  defaultAppContainer,
  hasSidecar,
  parsePodSpec,
  podDirName,
  proxyContainerOf,
  type PodSpecModel,
} from './pod-spec.js';
import { buildPodStatus, isStatusReady } from './pod-status.js';
import { PodStatusWriter } from './pod-status-writer.js';
import { proxyIdentityOf, type ProxyIdentity, type ProxyLocality } from './proxy-bootstrap.js';

export interface PodWorkerDeps extends Omit<SlotDeps, 'proxyBootstrap'> {
  readonly log: Logger;
  readonly rest: KubeRest;
  readonly events: KubeletEvents;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly podsDir: string;
  readonly clusterId: string;
  readonly network: string;
  readonly locality: () => ProxyLocality;
  readonly allocator: () => PodIpAllocator | undefined;
  /** Called after the allocator changed (to persist its position). */
  readonly onAddressesChanged: () => void;
  readonly proxyBootstrap: (identity: ProxyIdentity, pod: PodSpecModel) => Promise<Record<string, unknown>>;
}

export interface ActiveFault {
  readonly spec: FaultSpec;
  readonly container: string;
  readonly sinceWallMs: number;
  readonly untilWallMs: number | undefined;
}

export type FaultResult = { readonly ok: true } | { readonly status: number; readonly error: string };

const ownedConditions = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);

function asRecords(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

export class PodWorker {
  readonly spec: PodSpecModel;
  private apiStatus: Record<string, unknown> | undefined;
  private lastBuilt: Record<string, unknown> | undefined;
  private net: PodNetwork | undefined;
  private slots: ContainerSlot[] = [];
  private podDir: string;
  private startTimeMs: number;
  private fault: ActiveFault | undefined;
  private faultTimer: Timer | undefined;
  private readonly status: PodStatusWriter;
  private terminating: Promise<void> | undefined;
  private isTerminal = false;
  private sandboxTimer: Timer | undefined;

  constructor(
    pod: unknown,
    private readonly deps: PodWorkerDeps,
  ) {
    this.spec = parsePodSpec(pod);
    this.apiStatus = isRecord(pod) && isRecord(pod['status']) ? pod['status'] : undefined;
    this.podDir = join(deps.podsDir, podDirName(this.spec));
    const previousStart = Date.parse(String(this.apiStatus?.['startTime'] ?? ''));
    this.startTimeMs = Number.isNaN(previousStart) ? deps.clock.wallMs() : previousStart;
    this.status = new PodStatusWriter({
      clock: deps.clock,
      rest: deps.rest,
      log: deps.log,
      namespace: this.spec.namespace,
      name: this.spec.name,
      uid: this.spec.uid,
      build: () => this.buildStatus(),
    });
  }

  get key(): string {
    return `${this.spec.namespace}/${this.spec.name}`;
  }

  get uid(): string {
    return this.spec.uid;
  }

  private event(container: string | undefined, type: EventType, reason: string, message: string): void {
    this.deps.events.record(this.spec, container, type, reason, message);
  }

  /** Creates the sandbox and starts the containers. */
  start(): void {
    const problem = this.spec.podProblem;
    if (problem !== undefined) {
      this.event(undefined, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${problem}`);
      this.slots = [];
      this.scheduleStatus();
      return;
    }
    this.createSandbox();
  }

  private createSandbox(): void {
    if (this.terminating !== undefined) return;
    const allocator = this.deps.allocator();
    const previousIp = typeof this.apiStatus?.['podIP'] === 'string' ? this.apiStatus['podIP'] : undefined;
    const ip = allocator?.allocate(this.spec.uid, previousIp);
    if (ip === undefined) {
      const why =
        allocator === undefined
          ? `node ${this.deps.nodeName} has no usable spec.podCIDR yet`
          : `no free address in podCIDR ${allocator.cidr.text}`;
      this.event(undefined, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${why}`);
      this.scheduleStatus();
      this.sandboxTimer = this.deps.clock.setTimer(5000, () => this.createSandbox());
      return;
    }
    this.deps.onAddressesChanged();
    const localhost = podLocalhost(ip);
    if (typeof localhost !== 'string') throw new Error(localhost.error); // checked with the podCIDR
    this.net = {
      podIP: ip,
      hostIP: this.deps.hostIP,
      localhost,
      hasSidecar: hasSidecar(this.spec),
      path: process.env['PATH'],
    };
    mkdirSync(this.podDir, { recursive: true });
    if (previousIp !== undefined && this.apiStatus?.['hostIP'] === this.deps.hostIP)
      this.event(
        undefined,
        'Normal',
        'SandboxChanged',
        'Pod sandbox changed, it will be killed and re-created.',
      );
    const previous = asRecords(this.apiStatus?.['containerStatuses']);
    const net = this.net;
    this.slots = this.spec.containers.map((c) => {
      const before = previous.find((s) => s['name'] === c.name);
      const ran = before !== undefined && typeof before['containerID'] === 'string';
      const count = ran && typeof before['restartCount'] === 'number' ? before['restartCount'] + 1 : 0;
      return new ContainerSlot(
        c,
        {
          spec: this.spec,
          net,
          podDir: this.podDir,
          fault: (name) => (this.fault?.container === name ? this.fault.spec : undefined),
          event: (name, type, reason, message) => this.event(name, type, reason, message),
          onChange: () => this.scheduleStatus(),
        },
        { ...this.deps, proxyBootstrap: (env) => this.deps.proxyBootstrap(this.identity(env), this.spec) },
        count,
      );
    });
    this.scheduleStatus();
    for (const slot of this.slots) slot.start();
  }

  private identity(env: Readonly<Record<string, string>>): ProxyIdentity {
    const d = this.deps;
    return proxyIdentityOf(this.spec, this.net as PodNetwork, env, {
      nodeName: d.nodeName,
      locality: d.locality(),
      clusterId: d.clusterId,
      network: d.network,
      podDir: this.podDir,
    });
  }

  /** A newer version of the pod from the API. */
  update(pod: unknown): void {
    if (isRecord(pod) && isRecord(pod['status'])) this.apiStatus = pod['status'];
    const next = parsePodSpec(pod);
    if (next.deletionTimestamp !== undefined && this.terminating === undefined) {
      const graceS = Math.min(
        next.deletionGracePeriodSeconds ?? next.terminationGracePeriodSeconds,
        next.terminationGracePeriodSeconds,
      );
      void this.terminate(graceS * 1000, false);
    }
  }

  /**
   * Stops every container (grace period `graceMs`), frees the address; `isDeleted`: the pod is gone
   * from the API already (no status, no final delete).
   */
  terminate(graceMs: number, isDeleted: boolean): Promise<void> {
    this.terminating ??= this.runTermination(graceMs, isDeleted);
    return this.terminating;
  }

  private async runTermination(graceMs: number, isDeleted: boolean): Promise<void> {
    if (isDeleted) this.status.markGone();
    this.sandboxTimer?.cancel();
    this.faultTimer?.cancel();
    await Promise.all(this.slots.map((s) => s.terminate(graceMs)));
    if (this.net !== undefined) this.deps.allocator()?.release(this.net.podIP);
    if (isDeleted) return;
    this.isTerminal = true;
    await this.status.flush();
    const r = await this.deps.rest
      .delete(podPath(this.spec.namespace, this.spec.name), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: this.spec.uid },
      })
      .catch((err: unknown) => ({ status: 0, body: String(err) }));
    if (r.status >= 300 && r.status !== 404 && r.status !== 409)
      this.deps.log.warn({ pod: this.key, response: describeResponse(r) }, 'final pod delete failed');
  }

  /** Marks the pod not ready in the API (the agent stops; its processes are about to go). */
  async writeNotReady(): Promise<void> {
    if (this.status.isGone) return;
    const status = this.buildStatus();
    for (const c of asRecords(status['conditions']))
      if (c['type'] === 'Ready' || c['type'] === 'ContainersReady') {
        c['status'] = 'False';
        c['reason'] = 'NodeAgentStopped';
        c['message'] = `the node agent of ${this.deps.nodeName} stopped`;
      }
    for (const c of asRecords(status['containerStatuses'])) c['ready'] = false;
    await this.deps.rest
      .patch(podPath(this.spec.namespace, this.spec.name, '/status'), { status })
      .catch(() => {});
  }

  private buildStatus(): Record<string, unknown> {
    const ours = asRecords(this.lastBuilt?.['conditions'] ?? this.apiStatus?.['conditions']).filter((c) =>
      ownedConditions.has(String(c['type'])),
    );
    const theirs = asRecords(this.apiStatus?.['conditions']).filter(
      (c) => !ownedConditions.has(String(c['type'])),
    );
    const problem = this.spec.podProblem;
    const containers =
      this.slots.length > 0
        ? this.slots.map((s) => s.view())
        : this.spec.containers.map((c) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            containerID: undefined,
            state: {
              kind: 'waiting' as const,
              reason: problem === undefined ? 'ContainerCreating' : 'CreateContainerConfigError',
              ...(problem !== undefined ? { message: problem } : {}),
            },
            lastTerminated: undefined,
            restartCount: 0,
            ready: false,
            started: false,
          }));
    const status = buildPodStatus({
      restartPolicy: this.spec.restartPolicy,
      podIP: this.net?.podIP,
      hostIP: this.deps.hostIP,
      startTimeMs: this.startTimeMs,
      containers,
      isTerminal: this.isTerminal,
      previous: { conditions: [...ours, ...theirs] },
      nowMs: this.deps.clock.wallMs(),
    });
    this.lastBuilt = status;
    return status;
  }

  private scheduleStatus(): void {
    this.status.schedule();
  }

  /** Forces the next status build to be written (e.g. after the API server lost it). */
  resyncStatus(): void {
    this.status.resync();
  }

  /** Applies a fault to the pod's app (see app-fault.ts). */
  async applyFault(spec: FaultSpec): Promise<FaultResult> {
    if (this.terminating !== undefined) return { status: 409, error: `pod ${this.key} is terminating` };
    const target =
      spec.container === undefined
        ? defaultAppContainer(this.spec)
        : this.spec.containers.find((c) => c.name === spec.container);
    if (target === undefined)
      return {
        status: 404,
        error:
          spec.container === undefined
            ? `pod ${this.key} has no app container`
            : `pod ${this.key} has no container ${spec.container}`,
      };
    if (target.runtime !== 'sample-app' && target.runtime !== 'command')
      return {
        status: 409,
        error: `container ${target.name} runs ${target.runtime === 'proxy' ? 'the proxy: faults break apps, not their proxies' : 'nothing (its image cannot run)'}`,
      };
    const supported = supportedFaultKinds(target.runtime);
    if (!supported.includes(spec.kind))
      return {
        status: 409,
        error: `fault ${spec.kind} needs the built-in sample app: container ${target.name} runs a command (supported: ${supported.join(', ')})`,
      };
    const slot = this.slots.find((s) => s.spec.name === target.name);
    if (spec.kind === 'kill') {
      if (slot?.killNow() !== true) return { status: 409, error: `container ${target.name} is not running` };
      return { ok: true };
    }
    await this.heal();
    const now = this.deps.clock.wallMs();
    this.fault = {
      spec,
      container: target.name,
      sinceWallMs: now,
      untilWallMs: spec.durationMs === undefined ? undefined : now + spec.durationMs,
    };
    if (spec.durationMs !== undefined)
      this.faultTimer = this.deps.clock.setTimer(spec.durationMs, () => void this.heal());
    await slot?.applyFault(spec);
    this.deps.log.info({ pod: this.key, container: target.name, fault: spec }, 'fault applied');
    return { ok: true };
  }

  /** Removes the pod's fault, if any. Returns whether there was one. */
  async heal(): Promise<boolean> {
    const fault = this.fault;
    if (fault === undefined) return false;
    this.fault = undefined;
    this.faultTimer?.cancel();
    this.faultTimer = undefined;
    await this.slots.find((s) => s.spec.name === fault.container)?.applyFault(undefined);
    this.deps.log.info({ pod: this.key, container: fault.container }, 'fault healed');
    return true;
  }

  /** The log file of `container` (default: the app container), if the pod has that container. */
  logPath(container: string | undefined): string | undefined {
    const name = container ?? defaultAppContainer(this.spec)?.name;
    if (name === undefined || !this.spec.containers.some((c) => c.name === name)) return undefined;
    return join(this.podDir, `${name}.log`);
  }

  /** Pids of the pod's running child processes. */
  pids(): number[] {
    return this.slots.map((s) => s.pid()).filter((p): p is number => p !== undefined);
  }

  /** What the control API reports about this pod. */
  info(): Record<string, unknown> {
    const status = this.lastBuilt ?? this.buildStatus();
    const proxy = proxyContainerOf(this.spec);
    const proxySlot = this.slots.find((s) => s.spec.runtime === 'proxy');
    const fault = this.fault;
    return {
      namespace: this.spec.namespace,
      name: this.spec.name,
      uid: this.spec.uid,
      phase: status['phase'],
      ready: isStatusReady(status),
      ip: this.net?.podIP ?? null,
      localhost: this.net?.localhost ?? null,
      hostIP: this.deps.hostIP,
      podDir: this.podDir,
      proxy:
        proxy === undefined
          ? null
          : { role: proxy.proxyRole, container: proxy.name, admin: proxySlot?.info()['admin'] ?? null },
      containers:
        this.slots.length > 0
          ? this.slots.map((s) => s.info())
          : this.spec.containers.map((c) => ({
              name: c.name,
              image: c.image,
              runtime: c.runtime,
              state: 'waiting',
            })),
      fault:
        fault === undefined
          ? null
          : {
              ...fault.spec,
              container: fault.container,
              since: new Date(fault.sinceWallMs).toISOString(),
              ...(fault.untilWallMs !== undefined
                ? { until: new Date(fault.untilWallMs).toISOString() }
                : {}),
            },
    };
  }
}
