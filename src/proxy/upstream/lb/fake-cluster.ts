/**
 * Test doubles for the load balancer tests: hosts and priority sets described as data, and a `Random`
 * that replays a script. Not used by production code.
 */
import { makeLocality } from '../../../core/locality.js';
import type { Random } from '../../../core/random.js';
import { StatsStore } from '../../stats/stats-store.js';
import type { StatsScope } from '../../stats/stats-store.js';
import { HealthFlag, Host } from '../host.js';
import type { LocalityGroupInput } from '../priority-set.js';
import { PrioritySet } from '../priority-set.js';

/** How one host starts: healthy unless told otherwise. */
export interface FakeHostSpec {
  readonly name: string;
  readonly weight?: number;
  readonly ejected?: boolean;
  readonly degraded?: boolean;
  readonly excluded?: boolean;
}

/** One locality group of the fake cluster. */
export interface FakeGroupSpec {
  readonly priority: number;
  readonly zone: string;
  readonly weight?: number;
  readonly hosts: ReadonlyArray<string | FakeHostSpec>;
}

export interface FakeCluster {
  readonly prioritySet: PrioritySet;
  readonly hosts: ReadonlyMap<string, Host>;
  readonly stats: StatsScope;
  readonly store: StatsStore;
  /** The host named `name` (throws if there is none). */
  host(name: string): Host;
  /** Ejects (sets `failed_outlier_check` on) the named hosts and refreshes health. */
  eject(...names: string[]): void;
}

let nextAddress = 1;

/** A host whose address is unique; `name` is kept in `hostname`. */
export function makeHost(spec: FakeHostSpec, zone = 'z', priority = 0): Host {
  const n = nextAddress++;
  const host = new Host({
    clusterName: 'c',
    address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    port: 80,
    hostname: spec.name,
    locality: makeLocality('r', zone),
    priority,
    weight: spec.weight ?? 1,
  });
  if (spec.ejected === true) host.setHealthFlag(HealthFlag.failedOutlierCheck);
  if (spec.degraded === true) host.setHealthFlag(HealthFlag.degradedEdsHealth);
  if (spec.excluded === true) host.setHealthFlag(HealthFlag.pendingDynamicRemoval);
  return host;
}

/** A priority set built from group specs (OPF 140 unless given). */
export function makeCluster(
  groups: readonly FakeGroupSpec[],
  policy = { overprovisioningFactor: 140, weightedPriorityHealth: false },
): FakeCluster {
  const hosts = new Map<string, Host>();
  const inputs: LocalityGroupInput[] = groups.map((g) => ({
    priority: g.priority,
    locality: makeLocality('r', g.zone),
    weight: g.weight,
    hosts: g.hosts.map((h) => {
      const host = makeHost(typeof h === 'string' ? { name: h } : h, g.zone, g.priority);
      hosts.set(host.hostname, host);
      return host;
    }),
  }));
  const prioritySet = new PrioritySet();
  prioritySet.update(inputs, policy);
  const store = new StatsStore();
  const stats = store.root.scope('cluster').scope('c', 'cluster_name');
  const host = (name: string): Host => {
    const found = hosts.get(name);
    if (found === undefined) throw new Error(`no host ${name}`);
    return found;
  };
  return {
    prioritySet,
    hosts,
    stats,
    store,
    host,
    eject: (...names) => {
      for (const name of names) host(name).setHealthFlag(HealthFlag.failedOutlierCheck);
      prioritySet.refreshHealth();
    },
  };
}

/** Replays `values` in order (then repeats them), so tests can name every random draw. */
export class ScriptedRandom implements Random {
  private index = 0;
  constructor(private readonly values: readonly number[]) {
    if (values.length === 0) throw new Error('ScriptedRandom needs at least one value');
  }
  nextU32(): number {
    const value = this.values[this.index % this.values.length] as number;
    this.index++;
    return value;
  }
  /** Number of draws so far. */
  get draws(): number {
    return this.index;
  }
}

/** Counts how often each host name comes back from `pick` over `n` calls. */
export function tally(n: number, pick: () => Host | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = pick()?.hostname ?? '(none)';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
