/**
 * The lab supervisor (lab design "Processes"): starts and owns every process of a lab, keeps
 * `<stateDir>/lab.json` current, and stops everything again.
 *
 * Start order, each step reported on the progress callback as it completes:
 *   1. the network load balancers bind their ingress addresses (a taken address fails fast);
 *   2. per cluster, in parallel: the API server child, until it answers with its own kubeconfig;
 *   3. the lab kubeconfig (one context per cluster) is written;
 *   4. in parallel: per cluster, the Nodes and istio-system objects, then one node agent per node
 *      until every Node is Ready; per mesh, the control plane until `/ready` answers 200;
 *   5. per cluster, the ingress gateway pods until Ready (targets of the NLB).
 * Alongside, from step 1 on, the observability endpoint (ADR 0017: Prometheus HTTP service
 * discovery, the proxy list, and the Prometheus of `spillway lab prometheus` as a child).
 * A component this build does not have (lab-components.ts) is skipped with a warning, and so are
 * the waits that depend on it. Any failure or the timeout stops what was started and throws
 * SPILLWAY_ERR_LAB_START_FAILED naming the step.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { writeFileAtomic } from '../../core/write-file-atomic.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { mergeKubeconfigs } from '../kubeconfig/lab-kubeconfig.js';
import type { LabNode } from '../observability/lab-proxies.js';
import {
  ObservabilityServer,
  observabilityAddress,
  type PrometheusInfo,
} from '../observability/observability-server.js';
import {
  prometheusBinary,
  prometheusCommand,
  prometheusConfigYaml,
  prometheusMissing,
  shippedRulesFile,
  type PrometheusSettings,
} from '../observability/prometheus-config.js';
import type { ClusterPlan, LabPlan, MeshPlan } from '../topology/address-plan.js';
import { formatHostPort, meshServing } from '../topology/address-plan.js';
import { ClusterSetup, clientFor } from './cluster-setup.js';
import { GatewayTargetWatch } from './gateway-targets.js';
import type { ChildCommand, LabComponents } from './lab-components.js';
import { takeLabLock } from './lab-lock.js';
import type { ClusterState, LabPhase, LabState, MeshState, ProcessKind } from './lab-state.js';
import { writeLabState } from './lab-state.js';
import { NetworkLoadBalancer, type LoadBalancerTarget } from './network-load-balancer.js';
import { processStartTicks } from './process-identity.js';
import { httpStatus, startFailed, waitUntil, type WaitContext } from './startup-wait.js';
import { SupervisedProcess } from './supervised-process.js';

export interface LabSupervisorOptions {
  readonly plan: LabPlan;
  readonly stateDir: string;
  readonly topologyFile?: string;
  readonly components: LabComponents;
  readonly clock: Clock;
  readonly log: Logger;
  /** One line per completed step ("cluster-1: API server ready ..."); warnings start with "WARNING". */
  readonly progress: (line: string) => void;
  readonly timeoutMs: number;
  /** How long a child gets between SIGTERM and SIGKILL when the lab stops. */
  readonly stopGraceMs?: number;
  /** The supervisor's own log file (recorded in lab.json). */
  readonly supervisorLog: string;
}

interface ClusterRuntime {
  readonly plan: ClusterPlan;
  readonly nlb: NetworkLoadBalancer;
  readonly ownKubeconfig: string;
  readonly dataDir: string;
  apiServer?: SupervisedProcess;
  setup?: ClusterSetup;
  watch?: GatewayTargetWatch;
  targets: readonly LoadBalancerTarget[];
  readonly agents: SupervisedProcess[];
}

interface MeshRuntime {
  readonly plan: MeshPlan;
  process?: SupervisedProcess;
  state: MeshState['state'];
  reason?: string;
}

// Prometheus first (it would only record the lab going down), then pods (and their proxies), so
// that no proxy sees its control plane vanish; API servers last.
const processKinds: readonly ProcessKind[] = ['prometheus', 'node-agent', 'control-plane', 'apiserver'];

export class LabSupervisor {
  private phase: LabPhase = 'starting';
  private readonly clusters: ClusterRuntime[];
  private readonly meshes: MeshRuntime[];
  private readonly processes: SupervisedProcess[] = [];
  private readonly warnings: string[] = [];
  private readonly startedAt: string;
  private readyAt: string | undefined;
  private error: string | undefined;
  private releaseLock: (() => void) | undefined;
  private isStopping = false;
  private stopping: Promise<void> | undefined;
  private readonly observability: ObservabilityServer;
  private readonly tokenFile: string;
  private prometheus: { process: SupervisedProcess; info: PrometheusInfo } | undefined;
  private prometheusStarting: Promise<PrometheusInfo> | undefined;
  readonly kubeconfigPath: string;

  constructor(private readonly options: LabSupervisorOptions) {
    const { plan, stateDir, clock, log } = options;
    this.kubeconfigPath = join(stateDir, 'kubeconfig');
    this.startedAt = new Date(clock.wallMs()).toISOString();
    this.clusters = plan.clusters.map((c) => ({
      plan: c,
      nlb: new NetworkLoadBalancer({ listen: c.ingress, clock, log: log.child({ nlb: c.name }) }),
      ownKubeconfig: join(stateDir, 'clusters', c.name, 'kubeconfig'),
      dataDir: join(stateDir, 'clusters', c.name, 'apiserver'),
      targets: [],
      agents: [],
    }));
    this.meshes = plan.meshes.map((m) => ({ plan: m, state: 'planned' }));
    this.tokenFile = join(stateDir, 'supervisor-token');
    // A credential: from the OS's CSPRNG, not the injected (possibly seeded) Random.
    this.observability = new ObservabilityServer(
      {
        nodes: () => this.labNodes(),
        meshes: () => this.state().meshes,
        prometheus: () => this.prometheusInfo(),
        startPrometheus: (settings) => this.startPrometheus(settings),
      },
      randomBytes(32).toString('hex'),
      log.child({ component: 'observability' }),
    );
  }

  private labNodes(): LabNode[] {
    return this.clusters.flatMap((c) =>
      c.plan.nodes.map((n) => ({
        name: n.name,
        zone: n.zone,
        address: n.address,
        podCIDR: n.podCIDR,
        stateDir: this.nodeStateDir(n.name),
        cluster: c.plan.name,
        region: c.plan.region,
      })),
    );
  }

  private prometheusInfo(): PrometheusInfo | undefined {
    const p = this.prometheus;
    if (p === undefined || p.process.state().phase === 'stopped') return undefined;
    return { ...p.info, pid: p.process.state().pid };
  }

  /**
   * Starts the lab's Prometheus as a supervised child (restarted like the others, stopped first by
   * `stop`), or keeps the running one when the settings are the same.
   */
  startPrometheus(settings: PrometheusSettings): Promise<PrometheusInfo> {
    // One at a time: two callers at once would start two.
    const run = async (): Promise<PrometheusInfo> => {
      if (this.phase !== 'ready') {
        throw new SpillwayError(
          ErrorCode.labPrometheusFailed,
          `the lab is ${this.phase === 'starting' ? 'still starting' : this.phase}; try again once it runs`,
        );
      }
      const current = this.prometheus;
      if (current !== undefined) {
        const same = JSON.stringify(current.info.settings) === JSON.stringify(settings);
        if (same && current.process.state().phase !== 'stopped')
          return { ...this.prometheusInfo()!, reused: true };
        await current.process.stop(this.options.stopGraceMs ?? 10_000);
        this.processes.splice(this.processes.indexOf(current.process), 1);
        this.prometheus = undefined;
      }
      const binary = prometheusBinary();
      if (binary === undefined) throw new SpillwayError(ErrorCode.labPrometheusFailed, prometheusMissing);
      const dir = join(this.options.stateDir, 'prometheus');
      const configFile = join(dir, 'prometheus.yml');
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir, { recursive: true });
      const sd = observabilityAddress(this.options.plan);
      writeFileAtomic(
        configFile,
        prometheusConfigYaml({
          labName: this.options.plan.topology.name,
          targetsUrl: `http://${formatHostPort(sd)}/v1/prometheus/targets`,
          rulesFile: shippedRulesFile,
          settings,
        }),
      );
      const listen = formatHostPort({ host: sd.host, port: settings.port });
      const child = this.spawn(
        'lab/prometheus',
        'prometheus',
        prometheusCommand(binary, { configFile, dataDir, listen }),
      );
      child.allowRestarts();
      const info: PrometheusInfo = {
        url: `http://${listen}`,
        pid: child.state().pid,
        configFile,
        dataDir,
        log: this.logFile('lab/prometheus'),
        settings,
      };
      this.prometheus = { process: child, info };
      this.save();
      return info;
    };
    const previous = this.prometheusStarting ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(run);
    this.prometheusStarting = next;
    return next;
  }

  private logFile(name: string): string {
    return join(this.options.stateDir, 'logs', `${name.replaceAll('/', '.')}.log`);
  }

  private nodeStateDir(node: string): string {
    return join(this.options.stateDir, 'nodes', node);
  }

  private warn(line: string): void {
    this.warnings.push(line);
    this.options.progress(`WARNING ${line}`);
  }

  private spawn(name: string, kind: ProcessKind, command: ChildCommand): SupervisedProcess {
    // A step still running when the lab is being stopped must not leave a process behind.
    if (this.isStopping) throw startFailed(`${name}: not started, the lab is stopping`);
    const proc = new SupervisedProcess({
      name,
      kind,
      command: { ...command, env: { SPILLWAY_LAB_DIR: this.options.stateDir, ...command.env } },
      logFile: this.logFile(name),
      clock: this.options.clock,
      log: this.options.log,
      onChange: () => this.save(),
    });
    this.processes.push(proc);
    proc.start();
    return proc;
  }

  /** The current lab.json content. */
  state(): LabState {
    const { plan, stateDir, topologyFile } = this.options;
    const clusters: ClusterState[] = this.clusters.map((c) => ({
      name: c.plan.name,
      region: c.plan.region,
      network: c.plan.network,
      zones: c.plan.zones,
      apiServer: `https://${formatHostPort(c.plan.apiServer)}`,
      ingress: formatHostPort(c.plan.ingress),
      ingressTargets: c.targets.map(formatHostPort),
      dataDir: c.dataDir,
      nodes: c.plan.nodes.map((n) => ({
        name: n.name,
        zone: n.zone,
        address: n.address,
        podCIDR: n.podCIDR,
        stateDir: this.nodeStateDir(n.name),
      })),
    }));
    const meshes: MeshState[] = this.meshes.map((m) => ({
      name: m.plan.name,
      region: m.plan.region,
      configCluster: m.plan.configCluster,
      clusters: [m.plan.configCluster, ...m.plan.remoteClusters],
      xdsAddress: formatHostPort(m.plan.xds),
      adminAddress: formatHostPort(m.plan.admin),
      state: m.state,
      ...(m.reason !== undefined ? { reason: m.reason } : {}),
    }));
    const ticks = processStartTicks(process.pid);
    const prometheus = this.prometheusInfo();
    return {
      version: 1,
      phase: this.phase,
      stateDir,
      kubeconfig: this.kubeconfigPath,
      topology: {
        name: plan.topology.name,
        addressBase: plan.topology.addressBase,
        ...(topologyFile !== undefined ? { file: topologyFile } : {}),
      },
      supervisor: {
        pid: process.pid,
        ...(ticks !== undefined ? { startTicks: ticks } : {}),
        log: this.options.supervisorLog,
        startedAt: this.startedAt,
        ...(this.readyAt !== undefined ? { readyAt: this.readyAt } : {}),
      },
      clusters,
      meshes,
      processes: this.processes.map((p) => p.state()),
      warnings: this.warnings,
      observability: {
        address: formatHostPort(observabilityAddress(plan)),
        targetsUrl: `http://${formatHostPort(observabilityAddress(plan))}/v1/prometheus/targets`,
        tokenFile: this.tokenFile,
      },
      ...(prometheus !== undefined ? { prometheus } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  private save(): void {
    try {
      writeLabState(this.state());
    } catch (err) {
      this.options.log.error({ err: (err as Error).message }, 'cannot write lab.json');
    }
  }

  /** Starts the whole lab; resolves once everything is ready, or stops it all and throws. */
  async start(): Promise<LabState> {
    const { stateDir, clock, timeoutMs } = this.options;
    this.releaseLock = takeLabLock(stateDir);
    const startMs = clock.monotonicMs();
    const ctx: WaitContext = {
      clock,
      deadlineMs: startMs + timeoutMs,
      timeoutMs,
      isCancelled: () => this.isStopping,
    };
    try {
      for (const dir of ['logs', 'clusters', 'nodes']) mkdirSync(join(stateDir, dir), { recursive: true });
      this.save();
      await this.startObservability();
      await Promise.all(this.clusters.map((c) => c.nlb.listen()));
      await Promise.all(this.clusters.map((c) => this.startApiServer(c, ctx)));
      this.writeKubeconfig();
      this.options.progress(`kubeconfig written: ${this.kubeconfigPath}`);
      await Promise.all([
        ...this.clusters.map((c) => this.startCluster(c, ctx)),
        ...this.meshes.map((m) => this.startMesh(m, ctx)),
      ]);
      await Promise.all(this.clusters.map((c) => this.waitForGateways(c, ctx)));
      this.phase = 'ready';
      this.readyAt = new Date(clock.wallMs()).toISOString();
      for (const p of this.processes) p.allowRestarts();
      this.save();
      return this.state();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      await this.stop('failed');
      throw err;
    }
  }

  private async startObservability(): Promise<void> {
    const address = observabilityAddress(this.options.plan);
    try {
      await this.observability.listen(address);
    } catch (err) {
      throw startFailed(
        `observability endpoint: cannot listen on ${formatHostPort(address)}: ${(err as Error).message}`,
      );
    }
    writeFileSync(this.tokenFile, `${this.observability.tokenText}\n`, { mode: 0o600 });
    this.options.progress(
      `lab: Prometheus service discovery at http://${formatHostPort(address)}/v1/prometheus/targets`,
    );
  }

  private async startApiServer(c: ClusterRuntime, ctx: WaitContext): Promise<void> {
    mkdirSync(join(this.options.stateDir, 'clusters', c.plan.name), { recursive: true });
    // Written anew once the server listens; one left from the previous run would look ready.
    rmSync(c.ownKubeconfig, { force: true });
    const proc = this.spawn(
      `${c.plan.name}/apiserver`,
      'apiserver',
      this.options.components.apiServer.command({
        cluster: c.plan,
        dataDir: c.dataDir,
        kubeconfigPath: c.ownKubeconfig,
      }),
    );
    c.apiServer = proc;
    await waitUntil(ctx, `${c.plan.name}: API server`, async () => existsSync(c.ownKubeconfig), {
      processes: [proc],
    });
    const own = new ClusterSetup(clientFor(c.ownKubeconfig, c.plan.name), this.options.plan, c.plan);
    try {
      await waitUntil(
        ctx,
        `${c.plan.name}: API server`,
        async () => {
          await own.ping();
          return true;
        },
        { processes: [proc] },
      );
    } finally {
      own.client.close();
    }
    this.options.progress(`${c.plan.name}: API server ready (https://${formatHostPort(c.plan.apiServer)})`);
  }

  private writeKubeconfig(): void {
    const text = mergeKubeconfigs(
      this.clusters.map((c) => ({
        cluster: c.plan.name,
        text: readFileSync(c.ownKubeconfig, 'utf8'),
        source: c.ownKubeconfig,
      })),
    );
    // Written aside and renamed, so that kubectl never reads half a file.
    writeFileAtomic(this.kubeconfigPath, text, { mode: 0o600 });
  }

  private async startCluster(c: ClusterRuntime, ctx: WaitContext): Promise<void> {
    const name = c.plan.name;
    const setup = new ClusterSetup(clientFor(this.kubeconfigPath, name), this.options.plan, c.plan);
    c.setup = setup;
    const apiServer = c.apiServer ? [c.apiServer] : [];
    try {
      await setup.applyNodes(new Date(this.options.clock.wallMs()).toISOString());
      await setup.applyIstioSystem();
    } catch (err) {
      throw startFailed(
        `${name}: creating the lab's objects failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.options.progress(
      `${name}: ${c.plan.nodes.length} nodes and istio-system (ingress gateway per zone, Service istio-ingressgateway) applied`,
    );
    c.watch = new GatewayTargetWatch(
      setup.client,
      (targets) => {
        c.targets = targets;
        c.nlb.setTargets(targets);
        this.save();
        this.options.log.info({ cluster: name, targets: targets.map(formatHostPort) }, 'nlb targets');
      },
      this.options.log,
    );
    await c.watch.start();
    const agent = this.options.components.nodeAgent;
    if (agent.unavailable !== undefined) {
      this.warn(`${name}: node agents not started: ${agent.unavailable}; nodes stay NotReady, pods Pending`);
      return;
    }
    const xds = meshServing(this.options.plan, name)?.xds;
    for (const node of c.plan.nodes) {
      const stateDir = this.nodeStateDir(node.name);
      mkdirSync(stateDir, { recursive: true });
      const command = agent.command({
        kubeconfig: this.kubeconfigPath,
        context: name,
        node,
        cluster: c.plan,
        stateDir,
        labStateDir: this.options.stateDir,
        xdsAddress: xds,
      });
      c.agents.push(this.spawn(`${name}/node-agent/${node.name}`, 'node-agent', command));
    }
    let ready = new Set<string>();
    let reported = -1;
    await waitUntil(
      ctx,
      `${name}: nodes Ready`,
      async () => {
        ready = await setup.readyNodes();
        if (ready.size !== reported) {
          reported = ready.size;
          this.options.progress(`${name}: ${ready.size}/${c.plan.nodes.length} nodes Ready`);
        }
        return ready.size === c.plan.nodes.length;
      },
      {
        processes: [...apiServer, ...c.agents],
        intervalMs: 200,
        detail: () =>
          `not Ready: ${c.plan.nodes
            .filter((n) => !ready.has(n.name))
            .map((n) => n.name)
            .join(', ')}; node agent logs in ${join(this.options.stateDir, 'logs')}`,
      },
    );
  }

  private async startMesh(m: MeshRuntime, ctx: WaitContext): Promise<void> {
    const cp = this.options.components.controlPlane;
    if (cp.unavailable !== undefined) {
      m.state = 'skipped';
      m.reason = cp.unavailable;
      this.warn(`${m.plan.name}: control plane skipped: ${cp.unavailable}`);
      this.save();
      return;
    }
    const proc = this.spawn(
      `${m.plan.name}/control-plane`,
      'control-plane',
      cp.command({ mesh: m.plan, plan: this.options.plan, kubeconfig: this.kubeconfigPath }),
    );
    m.process = proc;
    await waitUntil(
      ctx,
      `${m.plan.name}: control plane`,
      async () => (await httpStatus(m.plan.admin, '/ready')) === 200,
      {
        processes: [proc],
        intervalMs: 200,
      },
    );
    m.state = 'running';
    this.save();
    this.options.progress(
      `${m.plan.name}: control plane ready (xDS ${formatHostPort(m.plan.xds)}, admin ${formatHostPort(m.plan.admin)})`,
    );
  }

  private async waitForGateways(c: ClusterRuntime, ctx: WaitContext): Promise<void> {
    const name = c.plan.name;
    const want = c.plan.zones.length;
    if (this.options.components.nodeAgent.unavailable !== undefined) return;
    const mesh = this.meshes.find((m) => m.plan.configCluster === name);
    if (mesh === undefined || mesh.state !== 'running') {
      // A gateway proxy is Ready only once a control plane gave it configuration.
      this.warn(`${name}: not waiting for the ingress gateway: no control plane serves this cluster`);
      return;
    }
    let reported = -1;
    await waitUntil(
      ctx,
      `${name}: ingress gateway`,
      async () => {
        if (c.targets.length !== reported) {
          reported = c.targets.length;
          this.options.progress(`${name}: ingress gateway ${c.targets.length}/${want} pods Ready`);
        }
        return c.targets.length >= want;
      },
      {
        processes: [
          ...(c.apiServer ? [c.apiServer] : []),
          ...c.agents,
          ...(mesh.process ? [mesh.process] : []),
        ],
        intervalMs: 100,
      },
    );
    this.options.progress(
      `${name}: network load balancer ${formatHostPort(c.plan.ingress)} -> ${c.targets.map(formatHostPort).join(', ')}`,
    );
  }

  /** Stops everything (node agents, then control planes, then API servers) and releases the lock. */
  stop(finalPhase: LabPhase = 'stopped'): Promise<void> {
    this.stopping ??= (async () => {
      this.isStopping = true;
      this.phase = 'stopping';
      this.save();
      const grace = this.options.stopGraceMs ?? 10_000;
      for (const c of this.clusters) {
        c.watch?.stop();
        c.setup?.client.close();
      }
      await Promise.all([...this.clusters.map((c) => c.nlb.close()), this.observability.close()]);
      for (const kind of processKinds) {
        await Promise.all(this.processes.filter((p) => p.state().kind === kind).map((p) => p.stop(grace)));
      }
      this.phase = finalPhase;
      this.save();
      this.releaseLock?.();
    })();
    return this.stopping;
  }

  /** Synchronous best effort for the supervisor's own crash: SIGTERM every child group. */
  killAllNow(): void {
    for (const p of this.processes) p.killNow();
  }
}
