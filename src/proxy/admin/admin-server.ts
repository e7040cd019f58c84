/**
 * The admin interface (Envoy `source/server/admin/`): `/ready`, `/stats`, `/stats/prometheus`,
 * `/clusters`, `/listeners`, `/config_dump`, `/server_info`, `/healthcheck/fail|ok`, `/quitquitquit`.
 * Endpoints that change server state need POST, as in Envoy. Spillway's own pages live under
 * `/spillway/` (`/spillway/clusters`: priority loads, panic and ejection state, outlier-view.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import type { AdminConfig } from '../config/bootstrap-config.js';
import type { SocketAddress } from '../config/cluster-config.js';
import type { ProxyServer } from '../proxy-server.js';
import { renderStatsJson, renderStatsText } from '../stats/text-format.js';
import { renderClustersJson, renderClustersText } from './clusters-view.js';
import { renderConfigDump } from './config-dump.js';
import { renderOutlierView } from './outlier-view.js';

const log = createLogger('admin');

interface AdminResponse {
  status: number;
  contentType: string;
  body: string;
}

type Handler = (url: URL) => AdminResponse;

const text = (body: string, status = 200): AdminResponse => ({
  status,
  contentType: 'text/plain; charset=UTF-8',
  body,
});
const json = (value: unknown, status = 200): AdminResponse => ({
  status,
  contentType: 'application/json',
  body: `${JSON.stringify(value, null, 2)}\n`,
});

export class AdminServer {
  private readonly server: http.Server;
  private readonly handlers = new Map<string, { handler: Handler; isMutating: boolean; help: string }>();

  constructor(
    private readonly config: AdminConfig,
    private readonly proxy: ProxyServer,
    private readonly onQuit: () => void,
  ) {
    this.server = http.createServer((req, res) => this.serve(req, res));
    this.register('/ready', 'print server state, return 200 if LIVE, otherwise return 503', false, () => {
      const state = this.proxy.state;
      return text(`${state}\n`, state === 'LIVE' ? 200 : 503);
    });
    this.register('/stats', 'print server stats', false, (url) => this.stats(url));
    this.register('/stats/prometheus', 'print server stats in prometheus format', false, (url) => ({
      status: 200,
      contentType: 'text/plain; version=0.0.4; charset=UTF-8',
      body: this.proxy.prometheusText(statsOptions(url)),
    }));
    this.register('/clusters', 'upstream cluster status', false, (url) =>
      url.searchParams.get('format') === 'json'
        ? json(renderClustersJson(this.proxy.clusterManager.all()))
        : text(renderClustersText(this.proxy.clusterManager.all())),
    );
    this.register(
      '/spillway/clusters',
      'priority loads, panic, host health and ejection state per cluster (JSON; ?cluster=<name> repeats)',
      false,
      (url) => {
        const format = url.searchParams.get('format');
        if (format !== null && format !== 'json')
          return text(`unsupported format '${format}': only json\n`, 400);
        const view = renderOutlierView(
          this.proxy.clusterManager.all(),
          url.searchParams.getAll('cluster'),
          this.proxy.clock.monotonicMs(),
        );
        return json(view, view.clusters.length === 0 && view.missing.length > 0 ? 404 : 200);
      },
    );
    this.register('/listeners', 'print listener info', false, (url) => {
      const addresses = this.proxy.listenerAddresses();
      if (url.searchParams.get('format') === 'json') {
        return json({
          listener_statuses: [...addresses].map(([name, a]) => ({
            name,
            local_address: { socket_address: { address: a.address, port_value: a.port } },
          })),
        });
      }
      return text([...addresses].map(([name, a]) => `${name}::${a.address}:${a.port}\n`).join(''));
    });
    this.register('/config_dump', 'dump current Envoy configs', false, (url) =>
      json(renderConfigDump(this.proxy, { includeEds: url.searchParams.has('include_eds') })),
    );
    this.register('/server_info', 'print server version/status information', false, () => {
      this.proxy.refreshServerStats();
      const uptime = Math.floor((this.proxy.clock.wallMs() - this.proxy.startWallMs) / 1000);
      return json({
        version: 'spillway/0.1.0',
        state: this.proxy.state,
        uptime_current_epoch: `${uptime}s`,
        uptime_all_epochs: `${uptime}s`,
        node: { id: this.proxy.bootstrap.node.id, cluster: this.proxy.bootstrap.node.cluster },
      });
    });
    this.register('/healthcheck/fail', 'cause the server to fail health checks', true, () => {
      this.proxy.setHealthCheckFailed(true);
      return text('OK\n');
    });
    this.register('/healthcheck/ok', 'cause the server to pass health checks', true, () => {
      this.proxy.setHealthCheckFailed(false);
      return text('OK\n');
    });
    this.register('/quitquitquit', 'exit the server', true, () => {
      setImmediate(() => this.onQuit());
      return text('OK\n');
    });
    this.register('/help', 'print out list of admin commands', false, () => this.help());
    this.register('/', 'Admin home page', false, () => this.help());
  }

  async start(): Promise<void> {
    const { address, port } = this.config.address;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(
          new ConfigError(
            ErrorCode.listenerBind,
            { path: 'admin.address' },
            `cannot bind ${address}:${port}: ${err.message}`,
          ),
        );
      this.server.once('error', onError);
      this.server.listen(port, address, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  boundAddress(): SocketAddress {
    const addr = this.server.address() as AddressInfo | null;
    return addr === null ? this.config.address : { address: addr.address, port: addr.port };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private register(path: string, help: string, isMutating: boolean, handler: Handler): void {
    this.handlers.set(path, { handler, isMutating, help });
  }

  private help(): AdminResponse {
    const lines = ['admin commands are:'];
    for (const [path, h] of this.handlers) if (path !== '/') lines.push(`  ${path}: ${h.help}`);
    return text(`${lines.join('\n')}\n`);
  }

  private stats(url: URL): AdminResponse {
    this.proxy.refreshServerStats();
    const format = url.searchParams.get('format');
    const options = statsOptions(url);
    if (format === 'json')
      return {
        status: 200,
        contentType: 'application/json',
        body: renderStatsJson(this.proxy.stats, options),
      };
    if (format === 'prometheus') {
      return {
        status: 200,
        contentType: 'text/plain; version=0.0.4',
        body: this.proxy.prometheusText(options),
      };
    }
    return text(renderStatsText(this.proxy.stats, options));
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    let response: AdminResponse;
    try {
      const url = new URL(req.url ?? '/', 'http://admin');
      const entry = this.handlers.get(url.pathname);
      if (entry === undefined) {
        response = text(`invalid path. ${this.help().body}`, 404);
      } else if (entry.isMutating && req.method !== 'POST') {
        response = text('This endpoint requires POST.\n', 405);
      } else {
        response = entry.handler(url);
      }
    } catch (err) {
      log.warn({ err, url: req.url }, 'admin request failed');
      response = text(`${err instanceof Error ? err.message : String(err)}\n`, 400);
    }
    req.resume();
    res.writeHead(response.status, {
      'content-type': response.contentType,
      'cache-control': 'no-cache, max-age=0',
      'x-content-type-options': 'nosniff',
    });
    res.end(response.body);
  }
}

function statsOptions(url: URL): { filter?: RegExp; usedOnly?: boolean } {
  const filter = url.searchParams.get('filter');
  return {
    ...(filter !== null && filter !== '' ? { filter: new RegExp(filter) } : {}),
    ...(url.searchParams.has('usedonly') ? { usedOnly: true } : {}),
  };
}
