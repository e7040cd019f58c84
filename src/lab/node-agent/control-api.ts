/**
 * The node agent's control API (lab design "Faults"): a small HTTP/JSON server on the node's own
 * address (the kubelet's port 10250 by default), for the supervisor and `spillway lab fault/heal`.
 * Every request except `GET /healthz` needs `Authorization: Bearer <token>` (the token is in the
 * agent's state directory, file `control-token`, mode 0600).
 *
 *   GET    /healthz                          "ok"
 *   GET    /v1/node                          the node: name, podCIDR, address, readiness, pod count
 *   GET    /v1/pods                          {"node": ..., "pods": [<pod>...]}
 *   GET    /v1/pods/<ns>/<name>              <pod>: ip, localhost, proxy admin, containers (state,
 *                                            restarts, pid, log path), current fault
 *   PUT    /v1/pods/<ns>/<name>/fault        body {"kind": "refuse|hang|http-5xx|delay|kill",
 *                                            "container"?, "durationMs"?, "delayMs"?, "status"?} -> <pod>
 *   DELETE /v1/pods/<ns>/<name>/fault        heals the pod -> {"healed": bool, "pod": <pod>}
 *   GET    /v1/pods/<ns>/<name>/log          a container's log as text (`?container=<name>`, default the
 *                                            app container; `?tailBytes=<n>`, default the last 1 MiB)
 *   POST   /v1/heal                          heals every pod -> {"healed": ["ns/name", ...]}
 *
 * Errors are `{"code": "...", "message": "..."}` with 400 (bad body), 401 (token), 404 (no such pod
 * or route), 405, 409 (the fault cannot apply to that container) or 413.
 */
import { open } from 'node:fs/promises';
import http from 'node:http';
import { ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { authorizationMatches, closeHttp, listenHttp } from '../lab-http-server.js';
import { parseFaultSpec, type FaultSpec } from './app-fault.js';
import type { FaultResult } from './pod-worker.js';

export interface ControlApiHandlers {
  node(): Record<string, unknown>;
  pods(): Array<Record<string, unknown>>;
  pod(namespace: string, name: string): Record<string, unknown> | undefined;
  /** undefined: no such pod. */
  applyFault(namespace: string, name: string, spec: FaultSpec): Promise<FaultResult | undefined>;
  /** undefined: no such pod. */
  heal(namespace: string, name: string): Promise<boolean | undefined>;
  healAll(): Promise<string[]>;
  /** The log file of a container of a pod (undefined: no such pod or container). */
  logPath(namespace: string, name: string, container: string | undefined): string | undefined;
}

const maxBodyBytes = 64 * 1024;
const defaultTailBytes = 1024 * 1024;

/** The last `tailBytes` of a file ('' when it does not exist yet). */
async function tail(path: string, tailBytes: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, tailBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        reject(
          new HttpError(413, ErrorCode.labFaultInvalid, `the body is larger than ${maxBodyBytes} bytes`),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (err) {
        reject(
          new HttpError(400, ErrorCode.labFaultInvalid, `the body is not JSON: ${(err as Error).message}`),
        );
      }
    });
  });
}

export class ControlApi {
  private readonly server: http.Server;
  private readonly token: Buffer;

  constructor(
    private readonly handlers: ControlApiHandlers,
    token: string,
    private readonly log: Logger,
  ) {
    this.token = Buffer.from(`Bearer ${token}`);
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (err instanceof HttpError) send(res, err.status, { code: err.code, message: err.message });
        else {
          this.log.error({ err }, 'control API request failed');
          send(res, 500, { code: 'internal', message: err instanceof Error ? err.message : String(err) });
        }
      });
    });
  }

  /** Binds; resolves with the bound address. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return listenHttp(this.server, host, port);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private isAuthorized(req: http.IncomingMessage): boolean {
    return authorizationMatches(req, this.token);
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz' && method === 'GET') {
      send(res, 200, 'ok');
      return;
    }
    if (!this.isAuthorized(req)) {
      req.resume();
      throw new HttpError(
        401,
        'unauthorized',
        'missing or wrong bearer token (see control-token in the agent state directory)',
      );
    }
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const allow = (expected: string): void => {
      if (method !== expected)
        throw new HttpError(405, 'method_not_allowed', `${method} ${url.pathname}: use ${expected}`);
    };
    if (parts[0] !== 'v1') throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
    if (parts.length === 2 && parts[1] === 'node') {
      allow('GET');
      send(res, 200, this.handlers.node());
      return;
    }
    if (parts.length === 2 && parts[1] === 'heal') {
      allow('POST');
      req.resume();
      send(res, 200, { healed: await this.handlers.healAll() });
      return;
    }
    if (parts.length === 2 && parts[1] === 'pods') {
      allow('GET');
      send(res, 200, { node: this.handlers.node()['name'], pods: this.handlers.pods() });
      return;
    }
    const isPodRoute =
      parts.length === 4 || (parts.length === 5 && (parts[4] === 'fault' || parts[4] === 'log'));
    if (parts[1] !== 'pods' || !isPodRoute) throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
    const namespace = parts[2] ?? '';
    const name = parts[3] ?? '';
    const pod = (): Record<string, unknown> => {
      const info = this.handlers.pod(namespace, name);
      if (info === undefined)
        throw new HttpError(404, 'not_found', `pod ${namespace}/${name} does not run on this node`);
      return info;
    };
    if (parts.length === 4) {
      allow('GET');
      send(res, 200, pod());
      return;
    }
    if (parts[4] === 'log') {
      allow('GET');
      pod();
      const container = url.searchParams.get('container') ?? undefined;
      const path = this.handlers.logPath(namespace, name, container);
      if (path === undefined)
        throw new HttpError(
          404,
          'not_found',
          `pod ${namespace}/${name} has no container ${container ?? '(app)'}`,
        );
      const tailBytes = Number(url.searchParams.get('tailBytes') ?? defaultTailBytes);
      if (!Number.isInteger(tailBytes) || tailBytes < 0)
        throw new HttpError(400, 'bad_request', 'tailBytes must be a non-negative integer');
      send(res, 200, await tail(path, tailBytes));
      return;
    }
    if (method === 'DELETE') {
      req.resume();
      const healed = await this.handlers.heal(namespace, name);
      if (healed === undefined) pod();
      send(res, 200, { healed, pod: pod() });
      return;
    }
    allow('PUT');
    const spec = parseFaultSpec(await readBody(req));
    if ('error' in spec) throw new HttpError(400, ErrorCode.labFaultInvalid, spec.error);
    const result = await this.handlers.applyFault(namespace, name, spec);
    if (result === undefined) pod();
    else if (!('ok' in result)) throw new HttpError(result.status, ErrorCode.labFaultInvalid, result.error);
    send(res, 200, pod());
  }
}
