/**
 * Worker-thread entry of `loadBootstrapInWorker`: validates and builds one bootstrap file and posts
 * the typed config (plain data and RegExps, which structured clone carries) or the error back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, SpillwayError } from '../../core/errors.js';
import { loadBootstrapFile } from './bootstrap-loader.js';
import type { BootstrapWorkerReply } from './bootstrap-worker-reply.js';

const { file } = workerData as { file: string };

function errorReply(err: unknown): BootstrapWorkerReply {
  if (err instanceof ConfigError) {
    return { kind: 'configError', code: err.code, location: err.location, problem: err.problem };
  }
  if (err instanceof SpillwayError) return { kind: 'error', code: err.code, message: err.message };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

let reply: BootstrapWorkerReply;
try {
  reply = { kind: 'config', config: await loadBootstrapFile(file) };
} catch (err) {
  reply = errorReply(err);
}
parentPort?.postMessage(reply);
