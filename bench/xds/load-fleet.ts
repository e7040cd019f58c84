/**
 * The benchmark's side of the load processes: starts them, hands each a share of the simulated
 * proxies, and turns their IPC events into promises (synced, change seen by every proxy).
 */
import { fileURLToPath } from 'node:url';
import { nextMessage } from '../proxy/child-ipc.js';
import type { ManagedProcess, ProcessGroup } from '../proxy/process-group.js';
import type { LoadCommand, LoadEvent, LoadStats, ProxyTimes } from './load-protocol.js';
import type { SimulatedProxy } from './scenario.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./ads-load.js', import.meta.url));

export interface SyncResult {
  readonly connectStartMs: number;
  /** Per proxy (all processes), when it held a complete, ACKed config. */
  readonly syncedAtMs: readonly number[];
  readonly stats: readonly LoadStats[];
}

export interface SeenResult {
  /** Per proxy: when it ACKed the EDS response holding the change; null if it never did. */
  readonly ackedAtMs: readonly (number | null)[];
  readonly isComplete: boolean;
}

export class LoadFleet {
  private constructor(private readonly procs: readonly ManagedProcess[]) {}

  static async start(group: ProcessGroup, count: number, cpu: number | undefined): Promise<LoadFleet> {
    const procs: ManagedProcess[] = [];
    for (let i = 0; i < count; i++) {
      const proc = group.start(`ads-load-${i}`, process.execPath, [LOAD_SCRIPT], {
        ipc: true,
        ...(cpu === undefined ? {} : { cpu }),
      });
      proc.child.on('message', (m: LoadEvent) => {
        if (m.type === 'error') process.stderr.write(`${proc.name}: ${m.message}\n`);
      });
      procs.push(proc);
    }
    await Promise.all(
      procs.map((p) => nextMessage<LoadEvent>(p, (m) => m.type === 'ready', 'the load process to start')),
    );
    return new LoadFleet(procs);
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  private send(proc: ManagedProcess, command: LoadCommand): void {
    proc.child.send(command);
  }

  /** Connects every proxy (split round-robin over the processes); resolves when all are synced. */
  async connect(
    xdsAddress: string,
    proxies: readonly SimulatedProxy[],
    timeoutMs: number,
  ): Promise<SyncResult> {
    const shares = this.procs.map((_, i) => proxies.filter((_, j) => j % this.procs.length === i));
    const connecting = this.procs.map((p) =>
      nextMessage<LoadEvent>(p, (m) => m.type === 'connecting', 'the proxies to connect'),
    );
    const synced = this.procs.map((p) =>
      nextMessage<LoadEvent>(p, (m) => m.type === 'synced', 'the proxies to sync'),
    );
    // Awaited below; a process dying before that must not become an unhandled rejection.
    for (const s of synced) s.catch(() => undefined);
    this.procs.forEach((p, i) =>
      this.send(p, {
        type: 'start',
        xdsAddress,
        proxies: (shares[i] ?? []).map((s) => ({ index: s.index, node: s.node })),
      }),
    );
    const starts = await Promise.all(connecting);
    const done = await withTimeout(Promise.all(synced), timeoutMs, 'the initial sync of every proxy');
    const syncedAtMs: number[] = [];
    const stats: LoadStats[] = [];
    for (const m of done) {
      if (m.type !== 'synced') continue;
      for (const t of m.syncedAtMs) syncedAtMs.push(t ?? Number.NaN);
      stats.push(m.stats);
    }
    const connectStartMs = Math.min(
      ...starts.map((m) => (m.type === 'connecting' ? m.connectStartMs : Infinity)),
    );
    return { connectStartMs, syncedAtMs, stats };
  }

  /** Registers change `id` in every process; resolves once all of them watch for it. */
  async expect(id: number, address: string): Promise<void> {
    const acks = this.procs.map((p) =>
      nextMessage<LoadEvent>(p, (m) => m.type === 'expecting' && m.id === id, 'the expectation to register'),
    );
    for (const p of this.procs) this.send(p, { type: 'expect', id, address });
    await Promise.all(acks);
  }

  /** Resolves when every proxy has ACKed change `id`, or after `timeoutMs` with what was seen. */
  async seen(id: number, timeoutMs: number): Promise<SeenResult> {
    const results = this.procs.map((p) =>
      nextMessage<LoadEvent>(p, (m) => m.type === 'seen' && m.id === id, `change ${id} to be seen`),
    );
    const timer = setTimeout(() => {
      for (const p of this.procs) this.send(p, { type: 'collect', id });
    }, timeoutMs);
    try {
      const all = await Promise.all(results);
      const ackedAtMs: (number | null)[] = [];
      let isComplete = true;
      for (const m of all) {
        if (m.type !== 'seen') continue;
        ackedAtMs.push(...(m.ackedAtMs as ProxyTimes));
        isComplete &&= m.isComplete;
      }
      return { ackedAtMs, isComplete };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every stream; returns each process's counters. */
  async stop(group: ProcessGroup): Promise<LoadStats[]> {
    const stats: LoadStats[] = [];
    await Promise.all(
      this.procs.map(async (p) => {
        if (p.hasExited) return;
        const stopped = nextMessage<LoadEvent>(p, (m) => m.type === 'stopped', 'the load process to stop');
        this.send(p, { type: 'stop' });
        const m = await withTimeout(stopped, 10_000, 'the load process to stop').catch(() => undefined);
        if (m?.type === 'stopped') stats.push(m.stats);
        await group.stop(p, 5000);
      }),
    );
    return stats;
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
