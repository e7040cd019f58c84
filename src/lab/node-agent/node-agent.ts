/**
 * The lab's kubelet stand-in for one Kubernetes node (lab design "Processes"): keeps its Node Ready
 * (NodeHeartbeat), watches the Pods bound to it with client-node's list-watch (ResilientInformer:
 * relists after an API server restart or a 410), runs each in a PodWorker, and serves the control
 * API. State lives in `stateDir`: `pods/<ns>_<pod>_<uid>/` (container logs, proxy bootstraps, outlier
 * event logs), `control-token`, `control.json` (where the control API listens), `processes.json`
 * (child pids, killed on the next start if a crash left them) and `ipam.json` (the allocator's
 * position). `close()` stops every pod's processes and marks the node and its pods not ready.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { SystemClock, type Clock } from '../../core/clock.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { isRecord } from '../../core/json-shape.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { SystemRandom, type Random } from '../../core/random.js';
import { clientGoBackoff } from '../../kube/informers/reconnect-backoff.js';
import { ResilientInformer } from '../../kube/informers/resilient-informer.js';
import {
  readIpamPosition,
  readOrCreateToken,
  writeControlFile,
  writeIpamPosition,
} from './agent-state-files.js';
import type { FaultSpec } from './app-fault.js';
import { BootstrapValidator } from './bootstrap-validator.js';
import { settledWithin } from './container-runtime.js';
import type { BackoffSettings } from './container-slot.js';
import { ControlApi } from './control-api.js';
import { KubeRest } from './kube-rest.js';
import { KubeletEvents } from './kubelet-events.js';
import { NodeHeartbeat, type NodeRegistration } from './node-heartbeat.js';
import { checkLabPodCidr, intToIpv4, parseIpv4Cidr, PodIpAllocator } from './pod-address.js';
import type { PodSpecModel } from './pod-spec.js';
import { PodWorker, type FaultResult } from './pod-worker.js';
import { podCollection } from './pod-collection.js';
import { runProbe } from './prober.js';
import { ProcessRegistry } from './process-registry.js';
import { adsProxyBootstrap, type ProxyIdentity } from './proxy-bootstrap.js';
import { lookUpXdsAddress } from './xds-address-lookup.js';
import { crashLoopInitialMs, crashLoopMaxMs } from './restart-backoff.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type ProxyBootstrapFactory = (
  identity: ProxyIdentity,
  pod: PodSpecModel,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface NodeAgentOptions {
  /** Loaded, with the node's cluster as current context. */
  readonly kubeConfig: KubeConfig;
  readonly nodeName: string;
  readonly stateDir: string;
  /** The cluster id proxies report (`CLUSTER_ID`), default: the kubeconfig's current context. */
  readonly clusterId?: string;
  /** The network proxies report when their container does not say (default: the Node's `topology.istio.io/network`). */
  readonly network?: string;
  /** The control plane's ADS address; default: the `lab.spillway.io/xds-address` annotation of Service istio-system/istiod. */
  readonly xdsAddress?: HostPort;
  /** Where the control API listens; default the node's InternalIP (else podCIDR .1), port 10250. */
  readonly controlAddress?: HostPort;
  /** Replaces the ADS bootstrap (tests: static bootstraps). */
  readonly proxyBootstrap?: ProxyBootstrapFactory;
  /** Labels and podCIDR for registering the Node if it does not exist. */
  readonly registration?: NodeRegistration;
  readonly heartbeatMs?: number;
  /** Cap on each pod's grace period when the agent shuts down (default 5 s). */
  readonly shutdownGraceMs?: number;
  readonly crashBackoff?: BackoffSettings;
  readonly imageBackoff?: BackoffSettings;
  /** How long `start` waits for the API server (default 30 s). */
  readonly startTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
}

export const defaultControlPort = 10250;
const networkLabel = 'topology.istio.io/network';

export class NodeAgent {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly rest: KubeRest;
  private readonly events: KubeletEvents;
  private readonly heartbeat: NodeHeartbeat;
  private readonly processes: ProcessRegistry;
  private readonly informer: ResilientInformer;
  private readonly control: ControlApi;
  private readonly workers = new Map<string, PodWorker>();
  private readonly terminating = new Set<Promise<void>>();
  private readonly validator: BootstrapValidator;
  private allocator: PodIpAllocator | undefined;
  private cidrProblem: string | undefined;
  private hostIP = '127.0.0.1';
  private controlBound: HostPort = { host: '', port: 0 };
  private hasSynced = false;
  private isClosed = false;
  private xdsFromCluster: HostPort | undefined;
  readonly token: string;
  readonly clusterId: string;

  private constructor(private readonly options: NodeAgentOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.log = options.log ?? createLogger('node-agent');
    mkdirSync(join(options.stateDir, 'pods'), { recursive: true });
    this.token = readOrCreateToken(options.stateDir);
    this.clusterId = options.clusterId ?? options.kubeConfig.getCurrentContext();
    this.rest = new KubeRest(options.kubeConfig);
    this.validator = new BootstrapValidator(this.clock);
    this.events = new KubeletEvents(this.rest, options.nodeName, this.clock, this.log);
    this.processes = new ProcessRegistry(options.stateDir);
    this.heartbeat = new NodeHeartbeat(this.rest, options.nodeName, this.clock, this.log, {
      intervalMs: options.heartbeatMs ?? 10_000,
      registration: options.registration ?? {},
      address: () => this.hostIP,
      controlPort: () => this.controlBound.port,
      podCapacity: () => this.allocator?.capacity ?? 0,
      readiness: () => this.readiness(),
    });
    this.informer = new ResilientInformer(
      podCollection(options.kubeConfig, options.nodeName),
      options.kubeConfig,
      {
        clock: this.clock,
        random: options.random ?? new SystemRandom(),
        log: this.log,
        backoff: clientGoBackoff,
        listTimeoutMs: 30_000,
        onObject: (_kind, type, object) =>
          type === 'upsert' ? this.onPod(object) : this.onPodDeleted(object),
        onStateChange: (state) => {
          if (state.hasSynced && !this.hasSynced) {
            this.hasSynced = true;
            void this.heartbeat.beat();
          }
        },
      },
    );
    this.control = new ControlApi(
      {
        node: () => this.nodeInfo(),
        pods: () => [...this.workers.values()].map((w) => w.info()),
        pod: (ns, name) => this.workers.get(`${ns}/${name}`)?.info(),
        applyFault: (ns, name, spec) => this.applyFault(ns, name, spec),
        heal: async (ns, name) => {
          const w = this.workers.get(`${ns}/${name}`);
          return w === undefined ? undefined : w.heal();
        },
        logPath: (ns, name, container) => this.workers.get(`${ns}/${name}`)?.logPath(container),
        healAll: async () => {
          const healed: string[] = [];
          for (const w of this.workers.values()) if (await w.heal()) healed.push(w.key);
          return healed;
        },
      },
      this.token,
      this.log,
    );
  }

  /** Starts the agent: leftovers killed, Node read (or registered), control API bound, pods watched. */
  static async start(options: NodeAgentOptions): Promise<NodeAgent> {
    const agent = new NodeAgent(options);
    try {
      await agent.begin();
    } catch (err) {
      await agent.close();
      throw err instanceof SpillwayError
        ? err
        : new SpillwayError(
            ErrorCode.labNodeAgentFailed,
            `node agent ${options.nodeName}: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
    }
    return agent;
  }

  private async begin(): Promise<void> {
    const killed = this.processes.killLeftovers();
    if (killed.length > 0) this.log.warn({ pids: killed }, 'killed processes a previous run left behind');
    const node = await this.ensureNodeWithin(this.options.startTimeoutMs ?? 30_000);
    this.setupAddresses(node.podCIDR, node.internalIP);
    const address = this.options.controlAddress ?? { host: this.hostIP, port: defaultControlPort };
    try {
      this.controlBound = await this.control.listen(address.host, address.port);
    } catch (err) {
      throw new SpillwayError(
        ErrorCode.labNodeAgentFailed,
        `node agent ${this.options.nodeName}: cannot listen on ${address.host}:${address.port} for the control API: ${(err as Error).message}`,
      );
    }
    writeControlFile(this.options.stateDir, this.options.nodeName, this.controlUrl);
    this.heartbeat.start();
    this.informer.start();
  }

  private async ensureNodeWithin(timeoutMs: number): ReturnType<NodeHeartbeat['ensure']> {
    const deadline = this.clock.monotonicMs() + timeoutMs;
    let delayMs = 200;
    for (;;) {
      try {
        return await this.heartbeat.ensure();
      } catch (err) {
        if (this.clock.monotonicMs() + delayMs > deadline || this.isClosed)
          throw new SpillwayError(
            ErrorCode.labNodeAgentFailed,
            `node agent ${this.options.nodeName}: cannot read or register its Node: ${(err as Error).message}`,
          );
        await new Promise<void>((resolve) => this.clock.setTimer(delayMs, resolve));
        delayMs = Math.min(delayMs * 2, 2000);
      }
    }
  }

  private setupAddresses(podCIDR: string | undefined, internalIP: string | undefined): void {
    if (podCIDR === undefined) {
      this.cidrProblem = `node ${this.options.nodeName} has no spec.podCIDR`;
    } else {
      const cidr = parseIpv4Cidr(podCIDR);
      const problem = typeof cidr === 'string' ? `spec.podCIDR ${cidr}` : checkLabPodCidr(cidr);
      if (problem !== undefined || typeof cidr === 'string') this.cidrProblem = problem;
      else {
        this.cidrProblem = undefined;
        this.allocator = new PodIpAllocator(cidr, readIpamPosition(this.options.stateDir, cidr.text));
        this.hostIP = intToIpv4(cidr.network + 1);
      }
    }
    if (internalIP !== undefined) this.hostIP = internalIP;
    if (this.cidrProblem !== undefined)
      this.log.error({ problem: this.cidrProblem }, 'pods cannot run on this node');
  }

  private saveIpamPosition(): void {
    if (this.allocator !== undefined) writeIpamPosition(this.options.stateDir, this.allocator);
  }

  private readiness(): { isReady: boolean; message: string } {
    // A podCIDR assigned after the agent started (or fixed) is picked up at the next heartbeat.
    const node = this.heartbeat.current();
    if (this.allocator === undefined && node.podCIDR !== undefined)
      this.setupAddresses(node.podCIDR, node.internalIP);
    if (this.cidrProblem !== undefined)
      return {
        isReady: false,
        message: `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:${this.cidrProblem}`,
      };
    if (!this.hasSynced) return { isReady: false, message: 'node agent is starting: pods not listed yet' };
    return { isReady: true, message: 'kubelet is posting ready status' };
  }

  get controlUrl(): string {
    return `http://${this.controlBound.host}:${this.controlBound.port}`;
  }

  get nodeName(): string {
    return this.options.nodeName;
  }

  /** The node's pod range as in use (undefined when the Node has none). */
  get podCIDR(): string | undefined {
    return this.allocator?.cidr.text ?? this.heartbeat.current().podCIDR;
  }

  private nodeInfo(): Record<string, unknown> {
    const node = this.heartbeat.current();
    return {
      name: this.options.nodeName,
      podCIDR: node.podCIDR ?? null,
      address: this.hostIP,
      ready: this.readiness().isReady,
      problem: this.cidrProblem ?? null,
      pods: this.workers.size,
      stateDir: this.options.stateDir,
      pid: process.pid,
    };
  }

  /** The pod workers (tests and the control API read them). */
  pods(): PodWorker[] {
    return [...this.workers.values()];
  }

  /** Pids of every child process the agent runs now. */
  childPids(): number[] {
    return this.processes.pids();
  }

  private workerDeps(): ConstructorParameters<typeof PodWorker>[1] {
    return {
      clock: this.clock,
      log: this.log,
      rest: this.rest,
      events: this.events,
      nodeName: this.options.nodeName,
      hostIP: this.hostIP,
      podsDir: join(this.options.stateDir, 'pods'),
      clusterId: this.clusterId,
      network: this.options.network ?? this.heartbeat.current().labels[networkLabel] ?? '',
      locality: () => {
        const labels = this.heartbeat.current().labels;
        return {
          region: labels['topology.kubernetes.io/region'] ?? '',
          zone: labels['topology.kubernetes.io/zone'] ?? '',
          subZone: labels['topology.istio.io/subzone'] ?? '',
        };
      },
      allocator: () => this.allocator,
      onAddressesChanged: () => this.saveIpamPosition(),
      processes: this.processes,
      validator: this.validator,
      runProbe: (handler, target, timeoutMs) => runProbe(handler, target, timeoutMs, this.clock),
      crashBackoff: this.options.crashBackoff ?? { initialMs: crashLoopInitialMs, maxMs: crashLoopMaxMs },
      imageBackoff: this.options.imageBackoff ?? { initialMs: crashLoopInitialMs, maxMs: crashLoopMaxMs },
      proxyBootstrap: async (identity, pod) => {
        const factory = this.options.proxyBootstrap;
        if (factory !== undefined) return factory(identity, pod);
        return adsProxyBootstrap(identity, await this.xdsAddress());
      },
    };
  }

  /** The control plane address: the option, else Service istio-system/istiod's lab annotation. */
  private async xdsAddress(): Promise<HostPort> {
    if (this.options.xdsAddress !== undefined) return this.options.xdsAddress;
    this.xdsFromCluster ??= await lookUpXdsAddress(this.rest);
    return this.xdsFromCluster;
  }

  private graceMsOf(worker: PodWorker): number {
    return worker.spec.terminationGracePeriodSeconds * 1000;
  }

  private onPod(object: unknown): void {
    if (this.isClosed) return;
    const meta = isRecord(object) && isRecord(object['metadata']) ? object['metadata'] : {};
    const key = `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
    const uid = String(meta['uid'] ?? '');
    let worker = this.workers.get(key);
    if (worker !== undefined && worker.uid !== uid) {
      // The pod was replaced by one with the same name while we were not looking.
      this.retire(worker, this.graceMsOf(worker));
      worker = undefined;
    }
    if (worker === undefined) {
      const status = isRecord(object) && isRecord(object['status']) ? object['status'] : {};
      // A pod that finished for good stays as it is (its containers will not start again).
      if (status['phase'] === 'Succeeded' || status['phase'] === 'Failed') return;
      worker = new PodWorker(object, this.workerDeps());
      this.workers.set(key, worker);
      worker.start();
    }
    worker.update(object);
  }

  private onPodDeleted(object: unknown): void {
    const meta = isRecord(object) && isRecord(object['metadata']) ? object['metadata'] : {};
    const key = `${String(meta['namespace'] ?? 'default')}/${String(meta['name'] ?? '')}`;
    const worker = this.workers.get(key);
    if (worker !== undefined && worker.uid === String(meta['uid'] ?? ''))
      this.retire(worker, this.graceMsOf(worker));
  }

  /** Tears a pod down (it is gone from the API) and forgets it once its processes are gone. */
  private retire(worker: PodWorker, graceMs: number): void {
    if (this.workers.get(worker.key) === worker) this.workers.delete(worker.key);
    const done = worker.terminate(graceMs, true).then(() => this.events.forget(worker.uid));
    this.terminating.add(done);
    void done.finally(() => this.terminating.delete(done));
  }

  /** Resolves once every pod teardown in progress has finished. */
  async settled(): Promise<void> {
    while (this.terminating.size > 0) await Promise.all([...this.terminating]);
  }

  private async applyFault(
    namespace: string,
    name: string,
    spec: FaultSpec,
  ): Promise<FaultResult | undefined> {
    return this.workers.get(`${namespace}/${name}`)?.applyFault(spec);
  }

  private async within(p: Promise<unknown>, ms: number): Promise<void> {
    await settledWithin(p, ms, (delay, fn) => this.clock.setTimer(delay, fn));
  }

  /** Stops watching, stops every pod's processes, marks the node and its pods not ready. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.informer.stop();
    const cap = this.options.shutdownGraceMs ?? 5000;
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => this.within(w.writeNotReady(), 2000)));
    await Promise.all(workers.map((w) => w.terminate(Math.min(cap, this.graceMsOf(w)), true)));
    await this.settled();
    await this.within(this.heartbeat.stop(), 2000);
    await this.control.close();
    await this.within(this.events.flush(), 2000);
    await this.validator.close();
    this.rest.close();
  }
}
