/**
 * Entry of the worker process `loadBootstrapInWorker` forks: validates and builds one bootstrap file
 * (its path is the first argument) and sends the typed config (plain data and RegExps, which
 * structured clone carries) or the error back over IPC, then exits.
 */
import { ConfigError, SpillwayError } from '../../core/errors.js';
import { loadBootstrapFile } from './bootstrap-loader.js';
import type { BootstrapWorkerReply } from './bootstrap-worker-reply.js';

function errorReply(err: unknown): BootstrapWorkerReply {
  if (err instanceof ConfigError) {
    return { kind: 'configError', code: err.code, location: err.location, problem: err.problem };
  }
  if (err instanceof SpillwayError) return { kind: 'error', code: err.code, message: err.message };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

let reply: BootstrapWorkerReply;
try {
  reply = { kind: 'config', config: await loadBootstrapFile(process.argv[2] ?? '') };
} catch (err) {
  reply = errorReply(err);
}
if (process.send === undefined) {
  process.stderr.write('the bootstrap loader runs only as a child process with an IPC channel\n');
  process.exit(2);
}
process.send(reply, undefined, {}, () => process.exit(0));
