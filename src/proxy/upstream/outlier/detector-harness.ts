/**
 * A detector wired to a fake clock, a stats store, a recording event sink and N hosts, for the
 * outlier tests (and for tests of components that sit on top of outlier detection).
 */
import { FakeClock } from '../../../core/clock.js';
import { unknownLocality } from '../../../core/locality.js';
import { SeededRandom, type Random } from '../../../core/random.js';
import type { OutlierDetectionConfig } from '../../config/cluster-config.js';
import { StatsStore } from '../../stats/stats-store.js';
import { Host, type OutlierResult } from '../host.js';
import { envoyOutlierDetectionDefaults } from '../../config/outlier-defaults.js';
import { formatOutlierEvent, type OutlierEvent, type OutlierEventSink } from './outlier-event.js';
import { OutlierDetector } from './outlier-detector.js';

/** A `Random` that returns the given values in order and fails the test if asked for more. */
export class ScriptedRandom implements Random {
  private readonly values: number[];
  draws = 0;

  constructor(values: readonly number[] = []) {
    this.values = [...values];
  }

  nextU32(): number {
    const value = this.values.shift();
    if (value === undefined) throw new Error('ScriptedRandom: no value left to draw');
    this.draws++;
    return value;
  }
}

export class RecordingEventSink implements OutlierEventSink {
  readonly events: OutlierEvent[] = [];

  write(event: OutlierEvent): void {
    this.events.push(event);
  }

  lines(): string[] {
    return this.events.map(formatOutlierEvent);
  }

  /** `ACTION TYPE enforced` per event, a compact form for assertions. */
  summary(): string[] {
    return this.events.map(
      (e) => `${e.action} ${e.type} ${e.upstream_url} ${e.enforced ? 'enforced' : 'detected'}`,
    );
  }
}

export interface HarnessOptions {
  readonly hosts?: number;
  /** Priority of each host by index (default 0). */
  readonly priorities?: readonly number[];
  readonly config?: Partial<OutlierDetectionConfig>;
  readonly random?: Random;
  readonly clusterName?: string;
}

export class DetectorHarness {
  readonly clock = new FakeClock(0);
  readonly store = new StatsStore();
  readonly sink = new RecordingEventSink();
  /** Hosts passed to each change callback, in order. */
  readonly changes: Host[] = [];
  readonly hosts: Host[];
  readonly detector: OutlierDetector;
  readonly clusterName: string;

  constructor(options: HarnessOptions = {}) {
    this.clusterName = options.clusterName ?? 'c1';
    const count = options.hosts ?? 5;
    this.hosts = [];
    for (let i = 0; i < count; i++) this.hosts.push(this.makeHost(i, options.priorities?.[i] ?? 0));
    this.detector = new OutlierDetector(
      this.clusterName,
      { ...envoyOutlierDetectionDefaults, ...options.config },
      {
        clock: this.clock,
        random: options.random ?? new SeededRandom(1),
        stats: this.store.root.scope('cluster').scope(this.clusterName, 'cluster_name'),
        eventSink: this.sink,
      },
    );
    this.detector.setHosts(this.hosts);
    this.detector.onChange((host) => this.changes.push(host));
  }

  makeHost(index: number, priority = 0): Host {
    return new Host({
      clusterName: this.clusterName,
      address: `10.0.0.${index + 1}`,
      port: 80,
      locality: unknownLocality,
      priority,
    });
  }

  host(index: number): Host {
    const host = this.hosts[index];
    if (host === undefined) throw new Error(`no host ${index}`);
    return host;
  }

  /** Reports `code` to host `index`, `times` times. */
  send(index: number, code: number, times = 1): void {
    const monitor = this.host(index).outlier;
    if (monitor === undefined) throw new Error(`host ${index} has no outlier monitor`);
    for (let i = 0; i < times; i++) monitor.putHttpResponseCode(code);
  }

  result(index: number, result: OutlierResult, times = 1, code?: number): void {
    const monitor = this.host(index).outlier;
    if (monitor === undefined) throw new Error(`host ${index} has no outlier monitor`);
    for (let i = 0; i < times; i++) {
      if (code === undefined) monitor.putResult(result);
      else monitor.putResult(result, code);
    }
  }

  isEjected(index: number): boolean {
    return this.detector.ejectionState(this.host(index))?.isEjected ?? false;
  }

  /** Indexes of the hosts currently ejected. */
  ejected(): number[] {
    return this.hosts.flatMap((_, i) => (this.isEjected(i) ? [i] : []));
  }

  /** Value of `cluster.<name>.outlier_detection.<name>`; throws if the stat does not exist. */
  stat(name: string): number {
    const stat = this.store.find(`cluster.${this.clusterName}.outlier_detection.${name}`);
    if (stat === undefined || !('value' in stat)) throw new Error(`no stat outlier_detection.${name}`);
    return stat.value;
  }

  /** Moves the fake clock to `seconds` (monotonic), firing interval ticks on the way. */
  at(seconds: number): this {
    this.clock.advanceTo(seconds * 1000);
    return this;
  }
}
