/**
 * The probes of one container, run on the agent's clock like the kubelet's probe workers: each
 * declared probe runs when the container starts and then every `periodSeconds` (one attempt at a
 * time, bounded by `timeoutSeconds`), its outcomes go through the `ProbeTracker`, failed attempts
 * become `Unhealthy` events ("Readiness probe failed: ..."), and a liveness or startup probe that
 * crosses its failure threshold asks for the container to be killed.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { ContainerSpec, ProbeHandler } from './pod-spec.js';
import type { ProbeOutcome, ProbeTarget } from './prober.js';
import { probeKindTitle, ProbeTracker, type ProbeKind } from './probe-tracker.js';

export interface ProbeLoopDeps {
  readonly clock: Clock;
  readonly runProbe: (handler: ProbeHandler, target: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome>;
  /** Readiness or startedness changed. */
  readonly onChange: () => void;
  readonly onUnhealthy: (message: string) => void;
  /** A liveness/startup probe failed for good: the container must restart. */
  readonly onKill: (kind: ProbeKind) => void;
}

interface Worker {
  readonly tracker: ProbeTracker;
  timer: Timer | undefined;
  isRunning: boolean;
}

export class ProbeLoop {
  private readonly workers: Worker[] = [];
  private generation = 0;
  private target: ProbeTarget | undefined;

  constructor(
    container: ContainerSpec,
    private readonly deps: ProbeLoopDeps,
  ) {
    const kinds: Array<[ProbeKind, ContainerSpec['readinessProbe']]> = [
      ['startup', container.startupProbe],
      ['liveness', container.livenessProbe],
      ['readiness', container.readinessProbe],
    ];
    for (const [kind, spec] of kinds)
      if (spec !== undefined)
        this.workers.push({ tracker: new ProbeTracker(kind, spec), timer: undefined, isRunning: false });
  }

  hasProbe(kind: ProbeKind): boolean {
    return this.workers.some((w) => w.tracker.kind === kind);
  }

  /** Started: no startup probe, or it succeeded. */
  isStarted(): boolean {
    const startup = this.workers.find((w) => w.tracker.kind === 'startup');
    return startup === undefined || startup.tracker.result() === 'success';
  }

  /** Ready by its probe (true without a readiness probe); the caller also requires running + started. */
  isReadyByProbe(): boolean {
    const readiness = this.workers.find((w) => w.tracker.kind === 'readiness');
    return readiness === undefined || readiness.tracker.result() === 'success';
  }

  /** A new container instance started now; probes run against `target`. */
  start(target: ProbeTarget): void {
    this.stop();
    this.target = target;
    const gen = ++this.generation;
    const now = this.deps.clock.monotonicMs();
    for (const w of this.workers) {
      w.tracker.onNewContainer(now);
      // The first attempt that can count: right away, or once the initial delay is over.
      this.schedule(w, gen, w.tracker.spec.initialDelaySeconds * 1000);
    }
  }

  /** The container stopped: no more probes until the next `start`. */
  stop(): void {
    this.generation++;
    for (const w of this.workers) {
      w.timer?.cancel();
      w.timer = undefined;
      w.tracker.onContainerNotRunning();
    }
  }

  private schedule(w: Worker, gen: number, delayMs: number): void {
    w.timer = this.deps.clock.setTimer(delayMs, () => void this.tick(w, gen));
  }

  private async tick(w: Worker, gen: number): Promise<void> {
    if (gen !== this.generation || w.isRunning) return;
    const spec = w.tracker.spec;
    this.schedule(w, gen, spec.periodSeconds * 1000);
    const target = this.target;
    if (target === undefined || !w.tracker.shouldProbe(this.deps.clock.monotonicMs(), this.isStarted()))
      return;
    w.isRunning = true;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.deps.runProbe(spec.handler, target, spec.timeoutSeconds * 1000);
    } finally {
      w.isRunning = false;
    }
    if (gen !== this.generation) return;
    const title = probeKindTitle(w.tracker.kind);
    if ('error' in outcome) {
      // kubelet worker.go: a prober error throws the result away.
      this.deps.onUnhealthy(`${title} probe errored: ${outcome.error}`);
      return;
    }
    if (outcome.result === 'failure') this.deps.onUnhealthy(`${title} probe failed: ${outcome.output}`);
    const record = w.tracker.record(outcome.result);
    if (record.hasChanged) this.deps.onChange();
    if (record.mustKill) this.deps.onKill(w.tracker.kind);
  }
}
