/**
 * Worker-thread side of `BootstrapValidator`: validates and builds bootstrap files on request, with
 * the same loader and the same reply shapes as `spillway proxy`'s one-shot worker, so Envoy's protos
 * are loaded once per burst of pod starts instead of once per proxy.
 */
import { parentPort } from 'node:worker_threads';
import { ConfigError, SpillwayError } from '../../core/errors.js';
import { loadBootstrapFile } from '../../proxy/bootstrap/bootstrap-loader.js';
import type { BootstrapWorkerReply } from '../../proxy/bootstrap/bootstrap-worker-reply.js';

function errorReply(err: unknown): BootstrapWorkerReply {
  if (err instanceof ConfigError)
    return { kind: 'configError', code: err.code, location: err.location, problem: err.problem };
  if (err instanceof SpillwayError) return { kind: 'error', code: err.code, message: err.message };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

parentPort?.on('message', (request: { id: number; file: string }) => {
  void (async () => {
    let reply: BootstrapWorkerReply;
    try {
      reply = { kind: 'config', config: await loadBootstrapFile(request.file) };
    } catch (err) {
      reply = errorReply(err);
    }
    parentPort?.postMessage({ id: request.id, reply });
  })();
});
