/** The JSON document `--json` prints and `--save` writes next to the markdown report. */
import type { ChangePhaseProfile } from './cp-profile.js';
import type { LoadStats } from './load-protocol.js';
import type { ClusterId } from './scenario.js';

export interface XdsMachineNotes {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly kernel: string;
  readonly os: string;
  readonly memoryGiB: number;
  readonly clockTicksPerS: number;
  readonly loadAverageAtStart: readonly number[];
  readonly node: string;
  readonly spillwayRevision: string;
}

export interface ChangeSample {
  readonly index: number;
  readonly serviceHost: string;
  readonly clusterId: ClusterId;
  /** The EndpointSlice update call itself (API server commit), ms. */
  readonly writeMs: number;
  /** Write start -> the last proxy's ACK of the push holding the change (the measured figure), ms. */
  readonly allAckedMs: number | null;
  readonly firstProxyMs: number | null;
  readonly medianProxyMs: number | null;
  readonly proxiesSeen: number;
}

export interface Distribution {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
}

export interface TargetCheck {
  readonly label: string;
  readonly target: string;
  readonly measured: string;
  readonly isMet: boolean;
}

export interface ResourceWindow {
  readonly durationS: number;
  /** Control plane utime+stime over the window, as % of one CPU. */
  readonly cpuPct: number;
  readonly rssMbEnd: number;
  readonly rssMbMax: number;
  /** Busy time of the control plane's CPU spent by other processes (noise), % (pinned runs only). */
  readonly otherLoadPct: number | undefined;
  readonly stealPct: number | undefined;
}

export interface ScenarioResult {
  readonly scenario: 'A' | 'B';
  readonly proxies: number;
  readonly services: number;
  readonly endpoints: number;
  readonly namespaces: number;
  readonly loadProcesses: number;
  readonly objectsPerCluster: Record<ClusterId, number>;
  /** Writing every object into both API servers. */
  readonly scenarioWriteMs: number;
  /** Control plane spawned -> /ready (both clusters listed and translated). */
  readonly controlPlaneReadyMs: number;
  readonly initialSync: {
    /** First proxy connecting -> the last proxy holding CDS, EDS, LDS, RDS, all ACKed. */
    readonly allSyncedMs: number;
    readonly medianProxyMs: number;
    readonly firstProxyMs: number;
    /** Control plane CPU (% of one core) and peak RSS during the sync. */
    readonly controlPlaneCpuPct: number;
    readonly controlPlaneRssMbMax: number;
    readonly loadCpuPct: readonly number[];
  };
  readonly steady: ResourceWindow;
  readonly changes: {
    readonly samples: readonly ChangeSample[];
    /** Over allAckedMs of the complete samples. */
    readonly allAcked: Distribution | undefined;
    readonly medianProxy: Distribution | undefined;
    readonly incomplete: number;
  };
  readonly changePhase: ResourceWindow;
  /** CPU of each load process during the change phase (% of one core): near 100 means it is the bottleneck. */
  readonly loadCpuPct: readonly number[];
  /** VmHWM at the end: the peak RSS of the control plane's whole life. */
  readonly peakRssMb: number;
  readonly metrics: Record<string, number>;
  readonly load: readonly LoadStats[];
  readonly checks: readonly TargetCheck[];
  readonly profile: ChangePhaseProfile | undefined;
  /** The same for the initial sync (every proxy connecting at once). */
  readonly syncProfile: ChangePhaseProfile | undefined;
}

export interface XdsBenchResult {
  readonly benchmark: 'xds';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: {
    readonly argv: readonly string[];
    readonly changes: number;
    readonly spacingMs: number;
    readonly steadyS: number;
    readonly isPinned: boolean;
  };
  readonly machine: XdsMachineNotes;
  readonly noise: {
    readonly busyPctBeforeStart: readonly number[];
    readonly loadAverageAtEnd: readonly number[];
  };
  readonly setup: readonly string[];
  readonly anchor: string;
  readonly scenarios: readonly ScenarioResult[];
}
