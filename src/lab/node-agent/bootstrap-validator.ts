/**
 * Validates proxy bootstraps off the agent's main thread, as `spillway proxy` does
 * (`loadBootstrapInWorker`: Envoy's protos, the YAML parser and protobufjs are tens of MB of heap a
 * serving proxy never needs again), but with one worker kept for a burst of requests: a node starting
 * four proxies loads the protos once, not four times. The worker exits after `idleMs` without
 * requests, returning its whole heap to the system; the next request starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { Clock, Timer } from '../../core/clock.js';
import { ConfigError, SpillwayError } from '../../core/errors.js';
import type { BootstrapWorkerReply } from '../../proxy/bootstrap/bootstrap-worker-reply.js';
import type { BootstrapConfig } from '../../proxy/config/bootstrap-config.js';

interface Pending {
  readonly worker: Worker;
  resolve(config: BootstrapConfig): void;
  reject(err: Error): void;
}

function toError(reply: Exclude<BootstrapWorkerReply, { kind: 'config' }>): Error {
  if (reply.kind === 'configError') return new ConfigError(reply.code, reply.location, reply.problem);
  return reply.code === undefined ? new Error(reply.message) : new SpillwayError(reply.code, reply.message);
}

export class BootstrapValidator {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: Timer | undefined;
  private isClosed = false;

  constructor(
    private readonly clock: Clock,
    private readonly idleMs = 5000,
  ) {}

  /** Reads, validates and builds the bootstrap file at `file`. */
  load(file: string): Promise<BootstrapConfig> {
    if (this.isClosed) return Promise.reject(new Error('the bootstrap validator is closed'));
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<BootstrapConfig>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, file });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./bootstrap-validator-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (message: { id: number; reply: BootstrapWorkerReply }) => {
      const p = this.pending.get(message.id);
      if (p === undefined) return;
      this.pending.delete(message.id);
      if (message.reply.kind === 'config') p.resolve(message.reply.config);
      else p.reject(toError(message.reply));
      if (this.pending.size === 0)
        this.idleTimer = this.clock.setTimer(this.idleMs, () => void this.stopWorker());
    });
    // Only the requests this worker had fail with it (a retired worker's exit comes later).
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, p] of this.pending)
        if (p.worker === worker) {
          this.pending.delete(id);
          p.reject(err);
        }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the bootstrap worker exited with status ${code}`)));
    this.worker = worker;
    return worker;
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined || this.pending.size > 0) return;
    this.worker = undefined;
    await worker.terminate();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.idleTimer?.cancel();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
