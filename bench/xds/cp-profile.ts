/**
 * Where the control plane's CPU time goes during the change phase, from the `.cpuprofile` V8 writes
 * under `node --cpu-prof` when the process exits. Samples are cut to a time window: V8's profile
 * timestamps (µs) are on the same CLOCK_MONOTONIC as mono-time.ts, so the phase boundaries measured
 * by the benchmark apply directly (checked: when the profile does not overlap the window, the
 * whole profile is used and said so).
 *
 * Reported: self time per area (which part of Spillway, or grpc-js, protobufjs, GC ...), inclusive
 * time of the functions that make up one recompute (translate, checkResourceSet, setResources ...),
 * and the hottest functions by self time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time in the window. */
  readonly pct: number;
}

/** Per change, from the samples after its write: when the control plane was seen doing what (ms after the write). */
export interface ChangeTimeline {
  readonly index: number;
  /** First sample inside the informer -> registry path (the watch event has arrived). */
  readonly eventSeenMs: number | null;
  /** First and last sample inside ControlPlane.recomputeAll (after the debounce). */
  readonly recomputeStartMs: number | null;
  readonly recomputeEndMs: number | null;
  /** Busy sampled time of the control plane between this write and the next. */
  readonly busyMs: number;
}

export interface ChangePhaseProfile {
  readonly timeline: readonly ChangeTimeline[];
  readonly windowMs: number;
  readonly busyMs: number;
  readonly isWindowed: boolean;
  readonly byArea: readonly ProfileRow[];
  readonly inclusive: readonly ProfileRow[];
  readonly topSelf: readonly ProfileRow[];
}

/** Self-time areas, first match wins (path fragments of the compiled files). */
const AREAS: readonly [string, (url: string, fn: string) => boolean][] = [
  ['GC', (u, f) => u === '' && f === '(garbage collector)'],
  ['V8/native (program)', (u, f) => u === '' && f === '(program)'],
  ['registry (src/registry)', (u) => u.includes('/src/registry/')],
  [
    'consistency check (translate/check-resource-set)',
    (u) => u.includes('/src/translate/check-resource-set'),
  ],
  ['translation (src/translate)', (u) => u.includes('/src/translate/')],
  ['Istio config (src/istio)', (u) => u.includes('/src/istio/')],
  [
    'xDS server: resource store + hashing',
    (u) => /\/src\/xds-server\/(resource-store|content-digest)/.test(u),
  ],
  ['xDS server: sessions + wire', (u) => u.includes('/src/xds-server/')],
  ['codec (src/envoy)', (u) => u.includes('/src/envoy/')],
  ['control plane (src/control-plane)', (u) => u.includes('/src/control-plane/')],
  ['informers (src/kube)', (u) => u.includes('/src/kube/')],
  ['other Spillway', (u) => u.includes('/src/')],
  ['grpc-js', (u) => u.includes('/@grpc/')],
  ['protobufjs', (u) => u.includes('/protobufjs/')],
  ['@kubernetes/client-node', (u) => u.includes('/@kubernetes/')],
  ['pino (logging)', (u) => u.includes('/pino')],
  ['other dependencies', (u) => u.includes('/node_modules/')],
  ['Node internals', (u) => u.startsWith('node:')],
  ['native', () => true],
];

/** Functions whose inclusive time (self + callees) explains one recompute: [label, name, file]. */
const INCLUSIVE: readonly (readonly [string, string, string])[] = [
  ['AggregateRegistry.apply (informer event)', 'apply', '/src/registry/aggregate-registry'],
  ['AggregateRegistry.snapshot', 'snapshot', '/src/registry/aggregate-registry'],
  ['ControlPlane.recomputeAll', 'recomputeAll', '/src/control-plane/control-plane'],
  ['resolveProxyContext', 'resolveProxyContext', '/src/translate/resolve-proxy-context'],
  ['Translator.translate', 'translate', '/src/translate/translator'],
  ['checkResourceSet', 'checkResourceSet', '/src/translate/check-resource-set'],
  ['AdsServer.setResources', 'setResources', '/src/xds-server/ads-server'],
  ['ResourceStore.set', 'set', '/src/xds-server/resource-store'],
  ['SotwSession.resourcesChanged', 'resourcesChanged', '/src/xds-server/sotw-session'],
  ['SotwSession.nextResponse', 'nextResponse', '/src/xds-server/sotw-session'],
  ['SotwSession.handleRequest', 'handleRequest', '/src/xds-server/sotw-session'],
  ['decodeDiscoveryRequest', 'decodeDiscoveryRequest', '/src/xds-server/discovery-wire'],
];

export function readProfile(dir: string): CpuProfile {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`the control plane wrote no .cpuprofile into ${dir}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
}

function stackHas(
  id: number,
  byId: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
  fn: string,
  file: string,
): boolean {
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const frame = byId.get(n)?.callFrame;
    if (frame !== undefined && frame.functionName === fn && frame.url.includes(file)) return true;
  }
  return false;
}

function timeline(
  profile: CpuProfile,
  times: readonly number[],
  byId: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
  writesMs: readonly number[],
): ChangeTimeline[] {
  return writesMs.map((writeMs, index) => {
    const from = writeMs * 1000;
    const to = (writesMs[index + 1] ?? Infinity) * 1000;
    let eventSeen: number | null = null;
    let recomputeStart: number | null = null;
    let recomputeEnd: number | null = null;
    let busy = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      const at = times[i] ?? 0;
      if (at < from || at >= to) continue;
      const id = profile.samples[i] as number;
      if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
      busy += Math.max(0, (times[i + 1] ?? profile.endTime) - at);
      const ms = (at - from) / 1000;
      if (eventSeen === null && stackHas(id, byId, parent, 'apply', '/src/registry/aggregate-registry'))
        eventSeen = ms;
      if (stackHas(id, byId, parent, 'recomputeAll', '/src/control-plane/control-plane')) {
        recomputeStart ??= ms;
        recomputeEnd = ms;
      }
    }
    const r = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
    return {
      index,
      eventSeenMs: r(eventSeen),
      recomputeStartMs: r(recomputeStart),
      recomputeEndMs: r(recomputeEnd),
      busyMs: Math.round(busy / 100) / 10,
    };
  });
}

export function summariseWindow(
  profile: CpuProfile,
  fromMs: number,
  toMs: number,
  writesMs: readonly number[],
): ChangePhaseProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample i happens at startTime + sum(timeDeltas[0..i]); its weight is the gap to the next one.
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const overlaps = profile.startTime / 1000 < toMs && profile.endTime / 1000 > fromMs;
  const from = overlaps ? fromMs * 1000 : -Infinity;
  const to = overlaps ? toMs * 1000 : Infinity;
  const self = new Map<number, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let windowUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i] ?? 0;
    if (at < from || at > to) continue;
    const weight = Math.max(0, (times[i + 1] ?? profile.endTime) - at);
    windowUs += weight;
    const id = profile.samples[i] as number;
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busy += weight;
    self.set(id, (self.get(id) ?? 0) + weight);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const frame = byId.get(n)?.callFrame;
      if (frame === undefined) break;
      for (const [label, fn, file] of INCLUSIVE) {
        if (frame.functionName !== fn || !frame.url.includes(file) || seen.has(label)) continue;
        seen.add(label);
        inclusive.set(label, (inclusive.get(label) ?? 0) + weight);
      }
    }
  }
  const row = (name: string, us: number): ProfileRow => ({
    name,
    ms: Math.round(us / 1000),
    pct: busy === 0 ? 0 : Math.round((us / busy) * 1000) / 10,
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    const area = AREAS.find(([, match]) => match(url, functionName))?.[0] ?? 'native';
    areas.set(area, (areas.get(area) ?? 0) + us);
    const src = url.indexOf('/src/');
    const nm = url.lastIndexOf('/node_modules/');
    const file = src >= 0 ? url.slice(src + 1) : nm >= 0 ? url.slice(nm + 14) : url;
    const key = `${functionName || '(anonymous)'}${file === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return {
    timeline: overlaps ? timeline(profile, times, byId, parent, writesMs) : [],
    windowMs: Math.round(windowUs / 1000),
    busyMs: Math.round(busy / 1000),
    isWindowed: overlaps,
    byArea: sorted(areas).map(([k, v]) => row(k, v)),
    inclusive: INCLUSIVE.filter(([label]) => inclusive.has(label)).map(([label]) =>
      row(label, inclusive.get(label) ?? 0),
    ),
    topSelf: sorted(functions)
      .slice(0, 20)
      .map(([k, v]) => row(k, v)),
  };
}
