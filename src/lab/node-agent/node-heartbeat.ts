/**
 * The agent's Node: registered if it does not exist (as a kubelet registers itself, with
 * `kubernetes.io/hostname`, `kubernetes.io/os` and the given labels and podCIDR), re-read every
 * heartbeat (labels and podCIDR may change), and its status posted every `intervalMs` (the kubelet's
 * `nodeStatusUpdateFrequency`, 10 s): conditions Ready and the pressure conditions with the
 * kubelet's reasons, addresses, nodeInfo, capacity (pods = the size of the pod range) and the
 * agent's endpoint (`daemonEndpoints.kubeletEndpoint`, the control API port). When the agent stops,
 * Ready becomes Unknown with the node lifecycle controller's wording, so a stopped node never looks
 * Ready.
 */
import os from 'node:os';
import type { Clock, Timer } from '../../core/clock.js';
import { isRecord } from '../../core/json-shape.js';
import type { Logger } from '../../core/logger.js';
import { describeResponse, type KubeRest } from './kube-rest.js';
import { kubeTime } from './pod-status.js';

export interface NodeRegistration {
  readonly labels?: Readonly<Record<string, string>>;
  readonly podCIDR?: string;
}

export interface NodeSnapshot {
  readonly labels: Readonly<Record<string, string>>;
  readonly podCIDR: string | undefined;
  readonly internalIP: string | undefined;
}

export interface NodeReadiness {
  readonly isReady: boolean;
  readonly message: string;
}

export const kubeletVersion = 'v1.32.0-spillway';

function nodePath(name: string): string {
  return `/api/v1/nodes/${encodeURIComponent(name)}`;
}

function snapshotOf(node: unknown): NodeSnapshot {
  const meta = isRecord(node) && isRecord(node['metadata']) ? node['metadata'] : {};
  const spec = isRecord(node) && isRecord(node['spec']) ? node['spec'] : {};
  const status = isRecord(node) && isRecord(node['status']) ? node['status'] : {};
  const labels: Record<string, string> = {};
  if (isRecord(meta['labels']))
    for (const [k, v] of Object.entries(meta['labels'])) if (typeof v === 'string') labels[k] = v;
  const addresses = Array.isArray(status['addresses']) ? status['addresses'].filter(isRecord) : [];
  const internal = addresses.find((a) => a['type'] === 'InternalIP')?.['address'];
  return {
    labels,
    podCIDR: typeof spec['podCIDR'] === 'string' && spec['podCIDR'] !== '' ? spec['podCIDR'] : undefined,
    internalIP: typeof internal === 'string' ? internal : undefined,
  };
}

export class NodeHeartbeat {
  private timer: Timer | undefined;
  private snapshot: NodeSnapshot = { labels: {}, podCIDR: undefined, internalIP: undefined };
  private conditions: Array<Record<string, unknown>> = [];
  private isStopped = false;

  constructor(
    private readonly rest: KubeRest,
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: {
      readonly intervalMs: number;
      readonly registration: NodeRegistration;
      /** The node's address (the control API's host), once known. */
      readonly address: () => string | undefined;
      readonly controlPort: () => number;
      readonly podCapacity: () => number;
      readonly readiness: () => NodeReadiness;
    },
  ) {}

  current(): NodeSnapshot {
    return this.snapshot;
  }

  /** Reads the Node, creating it first if it does not exist; rejects when the API cannot be used. */
  async ensure(): Promise<NodeSnapshot> {
    let r = await this.rest.get(nodePath(this.nodeName));
    if (r.status === 404) {
      const registration = this.options.registration;
      r = await this.rest.post('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: this.nodeName,
          labels: {
            'kubernetes.io/hostname': this.nodeName,
            'kubernetes.io/os': 'linux',
            ...registration.labels,
          },
        },
        spec:
          registration.podCIDR === undefined
            ? {}
            : { podCIDR: registration.podCIDR, podCIDRs: [registration.podCIDR] },
      });
      if (r.status < 300) this.log.info({ node: this.nodeName }, 'registered node');
      else if (r.status === 409) r = await this.rest.get(nodePath(this.nodeName));
    }
    if (r.status >= 300) throw new Error(`node ${this.nodeName}: ${describeResponse(r)}`);
    this.snapshot = snapshotOf(r.body);
    const status = isRecord(r.body) && isRecord(r.body['status']) ? r.body['status'] : {};
    this.conditions = Array.isArray(status['conditions']) ? status['conditions'].filter(isRecord) : [];
    return this.snapshot;
  }

  /** Posts status now and then every interval. */
  start(): void {
    this.isStopped = false;
    void this.beat();
  }

  /** Posts status now (e.g. readiness changed). */
  async beat(): Promise<void> {
    this.timer?.cancel();
    try {
      await this.ensure();
      await this.post(this.options.readiness());
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'node heartbeat failed');
    }
    if (!this.isStopped) this.timer = this.clock.setTimer(this.options.intervalMs, () => void this.beat());
  }

  /** Stops the heartbeat and marks the node Unknown. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.timer?.cancel();
    await this.post(undefined).catch(() => {});
  }

  private condition(
    type: string,
    status: string,
    reason: string,
    message: string,
    now: string,
  ): Record<string, unknown> {
    const before = this.conditions.find((c) => c['type'] === type);
    const since =
      before !== undefined && before['status'] === status && typeof before['lastTransitionTime'] === 'string'
        ? before['lastTransitionTime']
        : now;
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: since };
  }

  /** `readiness` undefined: the agent stopped. */
  private async post(readiness: NodeReadiness | undefined): Promise<void> {
    const now = kubeTime(this.clock.wallMs());
    const ready =
      readiness === undefined
        ? this.condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', now)
        : readiness.isReady
          ? this.condition('Ready', 'True', 'KubeletReady', readiness.message, now)
          : this.condition('Ready', 'False', 'KubeletNotReady', readiness.message, now);
    const conditions = [
      this.condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
        now,
      ),
      this.condition(
        'DiskPressure',
        'False',
        'KubeletHasNoDiskPressure',
        'kubelet has no disk pressure',
        now,
      ),
      this.condition(
        'PIDPressure',
        'False',
        'KubeletHasSufficientPID',
        'kubelet has sufficient PID available',
        now,
      ),
      ready,
    ];
    const address = this.options.address();
    const pods = String(this.options.podCapacity());
    const capacity = {
      cpu: String(os.availableParallelism()),
      memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
      pods,
    };
    const status: Record<string, unknown> = {
      conditions,
      capacity,
      allocatable: capacity,
      daemonEndpoints: { kubeletEndpoint: { Port: this.options.controlPort() } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: os.release(),
        osImage: 'Spillway lab node',
        containerRuntimeVersion: 'spillway://0.1.0',
        kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    };
    if (this.snapshot.internalIP === undefined && address !== undefined)
      status['addresses'] = [
        { type: 'InternalIP', address },
        { type: 'Hostname', address: this.nodeName },
      ];
    const r = await this.rest.patch(`${nodePath(this.nodeName)}/status`, { status });
    if (r.status >= 300) throw new Error(`node status: ${describeResponse(r)}`);
    this.conditions = conditions;
  }
}
