/**
 * The control plane's admin interface (istiod's monitoring/debug port, 15014): `/ready`, `/metrics`
 * (Prometheus text), `/debug/syncz` (per-proxy xDS sync state and per-cluster discovery state),
 * `/debug/config_dump?proxyID=<id>` (what this control plane serves that proxy, in Envoy's ConfigDump
 * shape), `/debug/registryz` (services and endpoints), `/debug/explainz?proxyID=<id>&cluster=<name>`
 * (which Istio config produced that proxy's cluster, control-plane-explain.ts). Read-only; every handler answers from state
 * the control plane already holds.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../core/logger.js';
import type { HostPort } from './control-plane-options.js';

const log = createLogger('control-plane-admin');

/** What the admin interface asks the running control plane. */
export interface ControlPlaneAdminSource {
  /** True once the local cluster has synced and the xDS server listens (istiod's readiness). */
  isReady(): boolean;
  /** Prometheus text exposition of every control-plane metric. */
  metricsText(): string;
  /** `/debug/syncz` body. */
  syncz(): unknown;
  /** `/debug/config_dump` body for one connected proxy, or undefined if no such proxy is connected. */
  configDump(proxyId: string): unknown;
  /** `/debug/registryz` body. */
  registryz(): unknown;
  /** `/debug/explainz` body for one connected proxy's cluster, or undefined if no such proxy is connected. */
  explainz(proxyId: string, cluster: string): unknown;
}

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

const textReply = (body: string, status = 200): Reply => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body,
});
const jsonReply = (value: unknown, status = 200): Reply => ({
  status,
  contentType: 'application/json',
  body: `${JSON.stringify(value, null, 2)}\n`,
});

export class ControlPlaneAdmin {
  private readonly server: http.Server;

  constructor(private readonly source: ControlPlaneAdminSource) {
    this.server = http.createServer((req, res) => {
      let reply: Reply;
      try {
        reply = this.route(req.method ?? 'GET', req.url ?? '/');
      } catch (err) {
        log.error({ err, url: req.url }, 'admin handler failed');
        reply = textReply('internal error\n', 500);
      }
      res.writeHead(reply.status, {
        'content-type': reply.contentType,
        'content-length': Buffer.byteLength(reply.body),
      });
      res.end(reply.body);
    });
  }

  private route(method: string, rawUrl: string): Reply {
    if (method !== 'GET' && method !== 'HEAD') return textReply('only GET is supported\n', 405);
    const url = new URL(rawUrl, 'http://admin');
    switch (url.pathname) {
      case '/ready':
        return this.source.isReady() ? textReply('ready\n') : textReply('not ready\n', 503);
      case '/metrics':
        return {
          status: 200,
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
          body: this.source.metricsText(),
        };
      case '/debug/syncz':
        return jsonReply(this.source.syncz());
      case '/debug/registryz':
        return jsonReply(this.source.registryz());
      case '/debug/config_dump': {
        const proxyId = url.searchParams.get('proxyID');
        if (proxyId === null || proxyId === '')
          return textReply('the proxyID query parameter is required\n', 400);
        const dump = this.source.configDump(proxyId);
        return dump === undefined ? textReply(`proxy ${proxyId} is not connected\n`, 404) : jsonReply(dump);
      }
      case '/debug/explainz': {
        const proxyId = url.searchParams.get('proxyID');
        const cluster = url.searchParams.get('cluster');
        if (proxyId === null || proxyId === '' || cluster === null || cluster === '')
          return textReply('the proxyID and cluster query parameters are required\n', 400);
        const body = this.source.explainz(proxyId, cluster);
        return body === undefined ? textReply(`proxy ${proxyId} is not connected\n`, 404) : jsonReply(body);
      }
      case '/':
        return textReply(
          [
            '/ready',
            '/metrics',
            '/debug/syncz',
            '/debug/registryz',
            '/debug/config_dump?proxyID=<id>',
            '/debug/explainz?proxyID=<id>&cluster=<name>',
            '',
          ].join('\n'),
        );
      default:
        return textReply(`no such endpoint: ${url.pathname}\n`, 404);
    }
  }

  /** Listens; resolves to the bound address (port 0 picks one). */
  listen(address: HostPort): Promise<HostPort> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(address.port, address.host, () => {
        this.server.off('error', reject);
        const bound = this.server.address() as AddressInfo;
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
