/**
 * Loads a bootstrap file in a short-lived worker thread. Validation needs Envoy's protos, the YAML
 * parser and protobufjs - tens of MB of heap and code that a serving proxy never uses again. A worker
 * has its own V8 heap, which is returned to the system as a whole when the worker exits, so the
 * serving process never carries that peak (the proxy's RSS target, bench/results). Errors come back
 * as the same `ConfigError`s (file, document, field path) `loadBootstrapFile` throws.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, SpillwayError } from '../../core/errors.js';
import type { BootstrapConfig } from '../config/bootstrap-config.js';
import type { BootstrapWorkerReply } from './bootstrap-worker-reply.js';
import { withOneByteStrings } from './one-byte-strings.js';

function toError(reply: Exclude<BootstrapWorkerReply, { kind: 'config' }>): Error {
  if (reply.kind === 'configError') return new ConfigError(reply.code, reply.location, reply.problem);
  return reply.code === undefined ? new Error(reply.message) : new SpillwayError(reply.code, reply.message);
}

export async function loadBootstrapInWorker(file: string): Promise<BootstrapConfig> {
  const worker = new Worker(new URL('./bootstrap-worker-entry.js', import.meta.url), {
    workerData: { file },
  });
  try {
    const reply = await new Promise<BootstrapWorkerReply>((resolve, reject) => {
      worker.once('message', (message: BootstrapWorkerReply) => resolve(message));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the bootstrap worker exited with status ${code}`)));
    });
    if (reply.kind === 'config') return withOneByteStrings(reply.config);
    throw toError(reply);
  } finally {
    await worker.terminate();
  }
}
