/**
 * Loads a bootstrap file in a short-lived worker process. Validation needs Envoy's protos, the YAML
 * parser and protobufjs - tens of MB of heap and code that a serving proxy never uses again. A
 * separate process takes all of it away when it exits. (It used to be a worker thread: its V8 heap
 * went away too, but the serving process kept ~7 MB of its RSS - the pages of the node binary that
 * compiling and running the loader had touched, and the thread's malloc arena - which counted
 * against the proxy's RSS target, bench/results.) Errors come back as the same `ConfigError`s
 * (file, document, field path) `loadBootstrapFile` throws.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, SpillwayError } from '../../core/errors.js';
import type { BootstrapConfig } from '../config/bootstrap-config.js';
import type { BootstrapWorkerReply } from './bootstrap-worker-reply.js';
import { withOneByteStrings } from './one-byte-strings.js';

const entry = fileURLToPath(new URL('./bootstrap-worker-entry.js', import.meta.url));

function toError(reply: Exclude<BootstrapWorkerReply, { kind: 'config' }>): Error {
  if (reply.kind === 'configError') return new ConfigError(reply.code, reply.location, reply.problem);
  return reply.code === undefined ? new Error(reply.message) : new SpillwayError(reply.code, reply.message);
}

export async function loadBootstrapInWorker(file: string): Promise<BootstrapConfig> {
  // `advanced` serialization is structured clone, so RegExps (safe_regex routes) survive the trip.
  const child = fork(entry, [file], {
    serialization: 'advanced',
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const reply = await new Promise<BootstrapWorkerReply>((resolve, reject) => {
      child.once('message', (message: BootstrapWorkerReply) => resolve(message));
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`the bootstrap loader process exited with ${signal ?? `status ${code}`}`)),
      );
    });
    if (reply.kind === 'config') return withOneByteStrings(reply.config);
    throw toError(reply);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}
