/**
 * The lab's memory, as the budget counts it: the resident set (VmRSS) of every process of
 * the lab - the supervisor, every child it started (API servers, node agents, control planes) and
 * everything those started (pods' command containers) - summed. Read from Linux's /proc (proc(5):
 * `/proc/<pid>/stat` field 4 is the parent pid, `/proc/<pid>/status` has `VmRSS: <n> kB`);
 * elsewhere nothing is measured. Pages shared between processes count once per process, as in
 * `ps`'s RSS column.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { LabState } from '../supervisor/lab-state.js';

export interface LabMemorySample {
  readonly totalBytes: number;
  readonly processes: number;
  /** Bytes per kind: supervisor, apiserver, node-agent, control-plane, pod-process (their descendants). */
  readonly byKind: Readonly<Record<string, number>>;
  /** Every pid counted (to check that nothing of it is left after `lab down`). */
  readonly pids: readonly number[];
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** `root` and all its descendants that run now (parent links from /proc). */
export function processTree(root: number): number[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const ppid = parentPid(pid);
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const queue = pids.includes(root) ? [root] : [];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** The lab's memory now; undefined where /proc is not there (not Linux) or the supervisor is gone. */
export function sampleLabMemory(lab: LabState): LabMemorySample | undefined {
  const tree = processTree(lab.supervisor.pid);
  if (tree.length === 0) return undefined;
  const kindOf = new Map<number, string>(lab.processes.map((p) => [p.pid, p.kind]));
  kindOf.set(lab.supervisor.pid, 'supervisor');
  const byKind: Record<string, number> = {};
  let total = 0;
  const counted: number[] = [];
  for (const pid of tree) {
    const rss = rssBytes(pid);
    if (rss === undefined) continue;
    const kind = kindOf.get(pid) ?? 'pod-process';
    byKind[kind] = (byKind[kind] ?? 0) + rss;
    total += rss;
    counted.push(pid);
  }
  return { totalBytes: total, processes: counted.length, byKind, pids: counted };
}
