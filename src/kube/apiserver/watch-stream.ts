/**
 * HTTP watch: a chunked `200 application/json` stream of `{"type","object"}` lines, as kube-apiserver
 * serves `?watch=1` (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/watch.go`).
 * - No resourceVersion (or "0"): synthetic ADDED events for what exists now, then changes.
 * - A resourceVersion: changes after it; too old -> one ERROR event carrying a 410 Expired Status
 *   (the watch cache answers 200 and then the error event; client-go and client-node relist on it).
 * - `allowWatchBookmarks`: periodic BOOKMARK events with the current resourceVersion.
 * - `timeoutSeconds`: the stream ends cleanly after that long.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Timer } from '../../core/clock.js';
import type { KubeObject, ResourceType } from './kube-object.js';
import { KubeApiError } from './kube-object.js';
import { listObjects, watchObjects, type ListQuery } from './object-listing.js';
import type { ObjectStore } from './store/object-store.js';

export interface WatchRequest {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly resource: ResourceType;
  readonly namespace: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly query: ListQuery;
  readonly allowBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly bookmarkIntervalMs: number;
  /** Rewrites each object for the response (requested version, or a one-row Table). */
  readonly present: (object: KubeObject) => unknown;
  /** The (empty) object a BOOKMARK carries, in the requested version. */
  readonly bookmarkObject: (resourceVersion: string) => unknown;
}

// kube-apiserver's default `--min-request-timeout` is 1800 s; watches without timeoutSeconds end within it.
const defaultTimeoutSeconds = 1800;

export function serveWatch(req: IncomingMessage, res: ServerResponse, w: WatchRequest): void {
  let fromRv: number | undefined;
  const isInitial = w.resourceVersion === undefined || w.resourceVersion === '' || w.resourceVersion === '0';
  if (!isInitial) {
    fromRv = Number(w.resourceVersion);
    if (!Number.isSafeInteger(fromRv) || fromRv < 0) {
      throw new KubeApiError(400, 'BadRequest', `invalid resource version: ${w.resourceVersion ?? ''}`);
    }
  }
  const timers: Timer[] = [];
  let handle: { stop(): void } | undefined;
  let isEnded = false;
  const send = (type: string, object: unknown): void => {
    if (!isEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const end = (): void => {
    if (isEnded) return;
    isEnded = true;
    handle?.stop();
    for (const t of timers) t.cancel();
    res.end();
  };
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  req.on('close', end);
  res.on('error', end);
  try {
    if (isInitial) {
      const page = listObjects(w.store, w.resource, w.namespace, w.query);
      for (const object of page.items) send('ADDED', w.present(object));
      fromRv = Number(page.resourceVersion);
    }
    handle = watchObjects(w.store, w.resource, w.namespace, fromRv, w.query, (type, object) =>
      send(type, w.present(object)),
    );
  } catch (err) {
    if (err instanceof KubeApiError) {
      send('ERROR', err.toStatus());
      end();
      return;
    }
    throw err;
  }
  if (w.allowBookmarks) {
    const bookmark = (): void => {
      if (isEnded) return;
      send('BOOKMARK', w.bookmarkObject(String(w.store.currentRv())));
      timers.push(w.clock.setTimer(w.bookmarkIntervalMs, bookmark));
    };
    timers.push(w.clock.setTimer(w.bookmarkIntervalMs, bookmark));
  }
  timers.push(w.clock.setTimer((w.timeoutSeconds ?? defaultTimeoutSeconds) * 1000, end));
}
