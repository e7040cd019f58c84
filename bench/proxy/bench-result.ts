/** The JSON document `--json` prints and `--save` writes next to the markdown report. */
import type { ProfileSummary } from './cpu-profile.js';
import type { FailoverOptions, FailoverRun } from './failover-bench.js';
import type { MachineNotes } from './machine-notes.js';
import type { RoundSample } from './throughput-rounds.js';
import type { TargetCheck, TargetSummary } from './throughput-summary.js';

export interface BenchResult {
  readonly benchmark: 'proxy';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: {
    /** The command-line arguments of the run. */
    readonly argv: readonly string[];
    readonly rounds: number;
    readonly durationS: number;
    readonly connections: number;
    readonly fleetSize: number;
  };
  readonly machine: MachineNotes;
  readonly noise: {
    /** Busy % of each CPU over 1 s before anything started (should be ~0). */
    readonly busyPctBeforeStart: readonly number[];
    /** ms of a fixed busy loop on [proxy CPU, load CPU] at points of the run (lower is faster). */
    readonly cpuProbeMs: Record<string, readonly number[]>;
    readonly loadAverageAtEnd: readonly number[];
  };
  /** How the numbers were taken, in words (copied into the markdown report). */
  readonly setup: readonly string[];
  readonly throughput:
    | {
        readonly summary: readonly TargetSummary[];
        readonly checks: readonly TargetCheck[];
        readonly samples: readonly RoundSample[];
      }
    | undefined;
  readonly failover:
    | {
        readonly options: Omit<FailoverOptions, 'cpus'>;
        readonly runs: readonly FailoverRun[];
        /** Per variant label (`retry, cold`...): whether every run met its expected error count. */
        readonly holds: Record<string, boolean>;
      }
    | undefined;
  readonly profile: ProfileSummary | undefined;
}
