/**
 * The lab API server's HTTP front: bearer-token authentication on every request, a request body
 * limit, discovery, health and OpenAPI endpoints, and the resource verbs. Every failure is answered
 * with a Kubernetes `Status`; nothing a client sends can take the process down.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
} from './discovery.js';
import { KubeApiError } from './kube-object.js';
import type { ObjectDeletion } from './object-deletion.js';
import type { ObjectService } from './object-service.js';
import {
  openApiNotServed,
  openApiV2Document,
  openApiV2Protobuf,
  openApiV2ProtobufType,
  openApiV3Document,
  openApiV3Index,
} from './openapi.js';
import { parsePath, pathNotFound } from './request-route.js';
import { handleResource, type ApiResponse } from './resource-handler.js';

export interface ApiHttpServerOptions {
  readonly address: string;
  readonly port: number;
  readonly token: string;
  /** PEM certificate and key: the API is served over TLS only (kubectl sends tokens only over TLS). */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly service: ObjectService;
  readonly deletion: ObjectDeletion;
  readonly clock: Clock;
  readonly log: Logger;
  /** Largest accepted request body (kube-apiserver allows 3 MiB). */
  readonly maxBodyBytes?: number;
  readonly bookmarkIntervalMs?: number;
}

const defaultMaxBodyBytes = 3 * 1024 * 1024;
const healthPaths = new Set(['/healthz', '/livez', '/readyz']);
const aggregatedType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body must not leave this promise (and its chunks) behind.
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before sending the whole body'));
    });
  });
}

function isAuthorized(req: IncomingMessage, token: Buffer): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return false;
  const sent = Buffer.from(match[1] ?? '', 'utf8');
  return sent.length === token.length && timingSafeEqual(sent, token);
}

function wantsAggregated(req: IncomingMessage): boolean {
  const first = (req.headers.accept ?? '').split(',')[0] ?? '';
  return (
    first.includes('as=APIGroupDiscoveryList') &&
    first.includes('g=apidiscovery.k8s.io') &&
    first.includes('v=v2')
  );
}

export class ApiHttpServer {
  private readonly server: Server;
  private readonly token: Buffer;
  /** Every TCP connection, including TLS handshakes not yet seen by the HTTP layer. */
  private readonly sockets = new Set<Socket>();
  private isClosing = false;

  constructor(private readonly options: ApiHttpServerOptions) {
    this.token = Buffer.from(options.token, 'utf8');
    this.server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
      res.on('finish', () =>
        options.log.debug({ method: req.method, url: req.url, status: res.statusCode }, 'request'),
      );
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    // Slow or idle clients must not pin sockets forever; watches are long-lived but keep writing.
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = 0;
    // `closeAllConnections` only knows connections that reached HTTP; one still in its TLS handshake
    // when the server closes would become a watch that keeps `close()` waiting forever.
    this.server.on('connection', (socket: Socket) => {
      if (this.isClosing) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.isClosing = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    contentType = 'application/json',
    warnings: readonly string[] = [],
  ): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = Buffer.isBuffer(body) ? body : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string | string[]> = {
      'Content-Type': contentType,
      'Cache-Control': 'no-cache, private',
      'Content-Length': String(Buffer.byteLength(text)),
    };
    // RFC 7234 warn-code 299, as kube-apiserver sends admission and field-validation warnings.
    if (warnings.length > 0) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(status, headers);
    res.end(text);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.destroyed) return;
    if (err instanceof BodyTooLarge) {
      const e = new KubeApiError(
        413,
        'RequestEntityTooLarge',
        'the request body is too large: limit is 3145728 bytes',
        {},
      );
      res.setHeader('Connection', 'close');
      this.send(res, 413, e.toStatus());
      return;
    }
    if (err instanceof KubeApiError) {
      this.send(res, err.code, err.toStatus());
      return;
    }
    this.options.log.error({ err }, 'request failed');
    const e = new KubeApiError(
      500,
      'InternalError',
      `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
      {},
    );
    this.send(res, 500, e.toStatus());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAuthorized(req, this.token)) {
      // Drain what the client sent so the 401 reaches it, but do not buffer it.
      req.resume();
      this.send(res, 401, new KubeApiError(401, 'Unauthorized', 'Unauthorized').toStatus());
      return;
    }
    const body = await readBody(req, this.options.maxBodyBytes ?? defaultMaxBodyBytes);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (healthPaths.has(path) || [...healthPaths].some((p) => path.startsWith(`${p}/`))) {
      this.send(res, 200, 'ok', 'text/plain; charset=utf-8');
      return;
    }
    if (path === '/version') {
      this.send(res, 200, versionInfo());
      return;
    }
    if (path === '/openapi/v3') {
      this.send(res, 200, openApiV3Index());
      return;
    }
    if (path === '/openapi/v2') {
      if ((req.headers.accept ?? '').includes('protobuf')) {
        this.send(res, 200, openApiV2Protobuf(), openApiV2ProtobufType);
      } else {
        this.send(res, 200, openApiV2Document());
      }
      return;
    }
    if (path.startsWith('/openapi/')) {
      const document = openApiV3Document(path);
      if (document === undefined) throw openApiNotServed(path);
      this.send(res, 200, document);
      return;
    }
    if (path === '/api' || path === '/apis') {
      if (method !== 'GET')
        throw new KubeApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
          {},
        );
      if (wantsAggregated(req)) {
        this.send(res, 200, aggregatedDiscovery(path === '/api', 'apidiscovery.k8s.io/v2'), aggregatedType);
        return;
      }
      const address = `${this.options.address}:${(this.server.address() as AddressInfo).port}`;
      this.send(res, 200, path === '/api' ? apiVersions(address) : apiGroupList());
      return;
    }
    const parsed = parsePath(path);
    if (parsed.kind === 'group') {
      const group = apiGroup(parsed.group);
      if (group === undefined) throw pathNotFound();
      this.send(res, 200, group);
      return;
    }
    if (parsed.kind === 'groupVersion') {
      const list = apiResourceList(parsed.group, parsed.version);
      if (list === undefined) throw pathNotFound();
      this.send(res, 200, list);
      return;
    }
    if (parsed.kind === 'other') throw pathNotFound();
    const response: ApiResponse | undefined = handleResource(
      {
        service: this.options.service,
        deletion: this.options.deletion,
        clock: this.options.clock,
        bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 10_000,
      },
      req,
      res,
      parsed.route,
      url,
      body,
    );
    if (response !== undefined)
      this.send(res, response.status, response.body, 'application/json', response.warnings);
  }
}
