/**
 * The supervisor's observability endpoint (ADR 0017), on `127.(base+1).0.3:9990`:
 *
 *   GET  /healthz                    "ok"
 *   GET  /v1/prometheus/targets      Prometheus HTTP SD: every proxy and control plane of the lab
 *                                    (`?kind=sidecar,gateway,control-plane` narrows it)
 *   GET  /v1/proxies                 {"proxies": [...], "failures": [...]}: what `lab status` lists
 *   GET  /v1/prometheus              the Prometheus the lab runs ({url, pid, ...}), 404 if none
 *   POST /v1/prometheus              starts (or keeps) it: body {port, scrapeInterval,
 *                                    evaluationInterval}; needs `Authorization: Bearer <token>`
 *                                    from `<stateDir>/supervisor-token` (mode 0600)
 *
 * Discovery asks every node agent on each request (Prometheus refreshes every scrape interval), so
 * pods that come and go show up at the next refresh; a node agent that does not answer keeps its
 * last known proxies.
 */
import http from 'node:http';
import { SpillwayError } from '../../core/errors.js';
import { isRecord } from '../../core/json-shape.js';
import type { Logger } from '../../core/logger.js';
import { authorizationMatches, closeHttp, listenHttp } from '../lab-http-server.js';
import type { HostPort, LabPlan } from '../topology/address-plan.js';
import type { MeshState } from '../supervisor/lab-state.js';
import {
  collectLabProxies,
  sortProxies,
  type LabNode,
  type LabProxy,
  type NodeFailure,
} from './lab-proxies.js';
import { defaultPrometheusSettings, settingsProblem, type PrometheusSettings } from './prometheus-config.js';
import { labTargetGroups, parseKinds } from './prometheus-sd.js';

export const observabilityPort = 9990;

/** Lab-wide services live on the first cluster's `.0.3` (docs/lab.md "Addresses"). */
export function observabilityAddress(plan: LabPlan): HostPort {
  return { host: `127.${plan.topology.addressBase + 1}.0.3`, port: observabilityPort };
}

export interface PrometheusInfo {
  readonly url: string;
  readonly pid: number;
  readonly configFile: string;
  readonly dataDir: string;
  readonly log: string;
  readonly settings: PrometheusSettings;
  /** True when an already running Prometheus with the same settings was kept. */
  readonly reused?: boolean;
}

export interface ObservabilitySource {
  nodes(): readonly LabNode[];
  meshes(): readonly MeshState[];
  prometheus(): PrometheusInfo | undefined;
  startPrometheus(settings: PrometheusSettings): Promise<PrometheusInfo>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const agentTimeoutMs = 1000;
const maxBodyBytes = 16 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new HttpError(413, `the body is larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, `the body is not JSON: ${(err as Error).message}`);
  }
}

/** The settings of a POST /v1/prometheus body, defaults for what it leaves out. */
export function parsePrometheusRequest(body: unknown): PrometheusSettings | string {
  if (!isRecord(body)) return 'the body must be a JSON object';
  const known = ['port', 'scrapeInterval', 'evaluationInterval'];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0) return `unknown field ${unknown.join(', ')} (fields: ${known.join(', ')})`;
  const { port, scrapeInterval, evaluationInterval } = body;
  if (port !== undefined && typeof port !== 'number') return 'port must be a number';
  if (scrapeInterval !== undefined && typeof scrapeInterval !== 'string')
    return 'scrapeInterval must be a string';
  if (evaluationInterval !== undefined && typeof evaluationInterval !== 'string')
    return 'evaluationInterval must be a string';
  const settings: PrometheusSettings = {
    port: port ?? defaultPrometheusSettings.port,
    scrapeInterval: scrapeInterval ?? defaultPrometheusSettings.scrapeInterval,
    evaluationInterval: evaluationInterval ?? defaultPrometheusSettings.evaluationInterval,
  };
  return settingsProblem(settings) ?? settings;
}

export class ObservabilityServer {
  private readonly server: http.Server;
  private readonly token: Buffer;
  /** The bearer token POST /v1/prometheus wants (the supervisor writes it to supervisor-token). */
  readonly tokenText: string;
  private lastKnown = new Map<string, readonly LabProxy[]>();

  constructor(
    private readonly source: ObservabilitySource,
    token: string,
    private readonly log: Logger,
  ) {
    this.tokenText = token;
    this.token = Buffer.from(`Bearer ${token}`);
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (err instanceof HttpError) send(res, err.status, { message: err.message });
        else if (err instanceof SpillwayError) send(res, 409, { code: err.code, message: err.message });
        else {
          this.log.error({ err }, 'observability request failed');
          send(res, 500, { message: err instanceof Error ? err.message : String(err) });
        }
      });
    });
  }

  listen(address: HostPort): Promise<HostPort> {
    return listenHttp(this.server, address.host, address.port);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  /** Every proxy now (node agents asked in parallel), and the agents that did not answer. */
  async proxies(): Promise<{ proxies: LabProxy[]; failures: NodeFailure[] }> {
    const { byNode, failures } = await collectLabProxies(this.source.nodes(), {
      timeoutMs: agentTimeoutMs,
      previous: this.lastKnown,
    });
    this.lastKnown = byNode;
    if (failures.length > 0)
      this.log.warn({ failures }, 'node agents not answering; kept their last proxies');
    return { proxies: sortProxies([...byNode.values()].flat()), failures };
  }

  private isAuthorized(req: http.IncomingMessage): boolean {
    return authorizationMatches(req, this.token);
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab');
    const method = req.method ?? 'GET';
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) {
        req.resume();
        throw new HttpError(405, `${method} ${url.pathname}: use ${methods.join(' or ')}`);
      }
    };
    switch (url.pathname) {
      case '/healthz':
        allow('GET');
        send(res, 200, 'ok\n');
        return;
      case '/v1/prometheus/targets': {
        allow('GET');
        const kinds = parseKinds(url.searchParams.get('kind'));
        if (typeof kinds === 'string') throw new HttpError(400, kinds);
        const { proxies } = await this.proxies();
        send(res, 200, labTargetGroups(proxies, this.source.meshes(), kinds));
        return;
      }
      case '/v1/proxies':
        allow('GET');
        send(res, 200, await this.proxies());
        return;
      case '/v1/prometheus': {
        allow('GET', 'POST');
        if (method === 'GET') {
          const info = this.source.prometheus();
          if (info === undefined)
            throw new HttpError(404, 'no Prometheus runs in this lab (spillway lab prometheus)');
          send(res, 200, info);
          return;
        }
        if (!this.isAuthorized(req)) {
          req.resume();
          throw new HttpError(
            401,
            'missing or wrong bearer token (see supervisor-token in the lab state directory)',
          );
        }
        const settings = parsePrometheusRequest(await readJson(req));
        if (typeof settings === 'string') throw new HttpError(400, settings);
        send(res, 200, await this.source.startPrometheus(settings));
        return;
      }
      default:
        req.resume();
        throw new HttpError(404, `no route ${url.pathname}`);
    }
  }
}
