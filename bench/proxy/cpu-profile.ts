/**
 * `--profile`: one extra Spillway, started under `node --cpu-prof`, driven by wrk -c50, stopped with
 * SIGTERM (V8 writes the .cpuprofile on a clean exit), then summarised by self time per function.
 */
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint } from './anchor-configs.js';
import type { ProcessGroup } from './process-group.js';
import { throughputBootstrap } from './spillway-bootstraps.js';
import { BACKEND, startSpillway, type CpuLayout } from './throughput-targets.js';
import { runWrk } from './wrk-runner.js';

export interface ProfileEntry {
  readonly functionName: string;
  /** Script path (relative to the repository when it is ours) and 1-based line. */
  readonly location: string;
  readonly selfMs: number;
  /** Share of the non-idle samples. */
  readonly selfPct: number;
}

export interface ProfileSummary {
  readonly rps: number;
  readonly sampledMs: number;
  /** Self time by where the code lives: Spillway, Node internals, V8 (GC, program), other modules. */
  readonly byArea: Record<string, number>;
  readonly top: readonly ProfileEntry[];
  /** The hottest functions of Spillway's own code (src/), by self time. */
  readonly topSpillway: readonly ProfileEntry[];
}

interface CpuProfileNode {
  readonly id: number;
  readonly hitCount?: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

const PROFILED: Endpoint = { host: '127.0.77.6', port: 18080 };

function area(node: CpuProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'Node internals';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.includes('/src/')) return 'Spillway';
  return 'other';
}

/** Self time per function, largest first; idle samples are left out of the percentages. */
export function summariseCpuProfile(
  profile: CpuProfile,
  repoRoot: string,
  top = 25,
): Omit<ProfileSummary, 'rps'> {
  const totalHits = profile.samples.length;
  const msPerHit = totalHits === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / totalHits;
  const byKey = new Map<string, { functionName: string; location: string; hits: number; isOurs: boolean }>();
  const byArea: Record<string, number> = {};
  let busyHits = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const where = area(node);
    byArea[where] = (byArea[where] ?? 0) + hits * msPerHit;
    if (where === 'idle') continue;
    busyHits += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    // Compiled files live under dist/ (or a private --outDir); name them by their source path.
    const ourPath = url.indexOf('/src/');
    const file =
      where === 'Spillway' && ourPath >= 0 ? url.slice(ourPath + 1) : url.replace(`file://${repoRoot}`, '');
    const location = url === '' ? '' : `${file}:${lineNumber + 1}`;
    const key = `${functionName}@${location}`;
    const entry = byKey.get(key) ?? {
      functionName: functionName === '' ? '(anonymous)' : functionName,
      location,
      hits: 0,
      isOurs: where === 'Spillway',
    };
    entry.hits += hits;
    byKey.set(key, entry);
  }
  const toEntry = (e: { functionName: string; location: string; hits: number }): ProfileEntry => ({
    functionName: e.functionName,
    location: e.location,
    selfMs: Math.round(e.hits * msPerHit),
    selfPct: busyHits === 0 ? 0 : Math.round((e.hits / busyHits) * 1000) / 10,
  });
  const sorted = [...byKey.values()].sort((a, b) => b.hits - a.hits);
  const entries = sorted.slice(0, top).map(toEntry);
  const ours = sorted
    .filter((e) => e.isOurs)
    .slice(0, 15)
    .map(toEntry);
  for (const key of Object.keys(byArea)) byArea[key] = Math.round(byArea[key]!);
  return {
    sampledMs: Math.round((profile.endTime - profile.startTime) / 1000),
    byArea,
    top: entries,
    topSpillway: ours,
  };
}

export async function runProfile(
  group: ProcessGroup,
  dir: string,
  cpus: CpuLayout,
  durationS: number,
  wrkScript: string,
  repoRoot: string,
): Promise<ProfileSummary> {
  const profileDir = join(dir, 'cpu-profile');
  mkdirSync(profileDir, { recursive: true });
  const bootstrap = throughputBootstrap(PROFILED, BACKEND, 1000);
  const { process: proxy } = await startSpillway(
    group,
    dir,
    'spillway-profiled',
    bootstrap,
    PROFILED,
    cpus.proxyCpu,
    ['--cpu-prof', '--cpu-prof-dir', profileDir],
  );
  const url = `http://${PROFILED.host}:${PROFILED.port}/`;
  await runWrk(group, wrkScript, { url, connections: 50, durationS: 2, cpu: cpus.loadCpu });
  const result = await runWrk(group, wrkScript, { url, connections: 50, durationS, cpu: cpus.loadCpu });
  await group.stop(proxy, 10_000);
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`Spillway wrote no .cpuprofile into ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
  return { rps: result.rps, ...summariseCpuProfile(profile, repoRoot) };
}
