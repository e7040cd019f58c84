/**
 * The result of one probe of one container over time, as the kubelet's probe worker keeps it
 * (`pkg/kubelet/prober/worker.go` doProbe):
 *
 * - each new container instance starts from the probe's initial value - readiness Failure, liveness
 *   Success, startup Unknown - and resumes probing;
 * - no probe counts during `initialDelaySeconds` after the container started (whole seconds, as the
 *   kubelet truncates); readiness and liveness wait for the container to have started (startup probe
 *   passed), the startup probe stops once it has;
 * - the effective result changes only after `failureThreshold` consecutive failures or
 *   `successThreshold` consecutive successes (the run counter survives container restarts, as the
 *   worker's does);
 * - a liveness or startup failure means "kill the container": probing is on hold until the next
 *   instance.
 *
 * Example: readiness, failureThreshold 3, successThreshold 1: S -> ready; F, F -> still ready; F -> not
 * ready; S -> ready again.
 */
import type { ProbeSpec } from './pod-spec.js';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

const initialValue: Record<ProbeKind, ProbeResult> = {
  readiness: 'failure',
  liveness: 'success',
  startup: 'unknown',
};

/** "Readiness", "Liveness", "Startup": the probe type as the kubelet's events print it. */
export function probeKindTitle(kind: ProbeKind): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

export interface ProbeRecord {
  /** The effective result after this probe. */
  readonly result: ProbeResult;
  readonly hasChanged: boolean;
  /** A liveness/startup probe crossed its failure threshold: the container must be restarted. */
  readonly mustKill: boolean;
}

export class ProbeTracker {
  private current: ProbeResult;
  private lastOutcome: ProbeResult = 'unknown';
  private run = 0;
  private isOnHold = false;
  private startedAtMs: number | undefined;

  constructor(
    readonly kind: ProbeKind,
    readonly spec: ProbeSpec,
  ) {
    this.current = initialValue[kind];
  }

  /** The effective result. */
  result(): ProbeResult {
    return this.current;
  }

  /** A new container instance started at `startedAtMs` (monotonic). */
  onNewContainer(startedAtMs: number): void {
    this.current = initialValue[this.kind];
    this.isOnHold = false;
    this.startedAtMs = startedAtMs;
  }

  /** The container is not running (exited or waiting): the worker reports Failure meanwhile. */
  onContainerNotRunning(): void {
    this.startedAtMs = undefined;
    this.current = this.kind === 'startup' ? 'unknown' : 'failure';
  }

  /** Whether a probe is due to run now (`isStarted`: the container's startup probe, if any, passed). */
  shouldProbe(nowMs: number, isStarted: boolean): boolean {
    if (this.isOnHold || this.startedAtMs === undefined) return false;
    if (Math.floor((nowMs - this.startedAtMs) / 1000) < this.spec.initialDelaySeconds) return false;
    return this.kind === 'startup' ? !isStarted : isStarted;
  }

  /** Counts one probe outcome and applies the thresholds. */
  record(outcome: 'success' | 'failure'): ProbeRecord {
    if (this.lastOutcome === outcome) this.run++;
    else {
      this.lastOutcome = outcome;
      this.run = 1;
    }
    const threshold = outcome === 'failure' ? this.spec.failureThreshold : this.spec.successThreshold;
    if (this.run < threshold) return { result: this.current, hasChanged: false, mustKill: false };
    const hasChanged = this.current !== outcome;
    this.current = outcome;
    const mustKill = outcome === 'failure' && this.kind !== 'readiness';
    if (mustKill) {
      this.isOnHold = true;
      this.run = 0;
    }
    return { result: outcome, hasChanged, mustKill };
  }
}
