/**
 * The lab's stand-in for the seed's `ack-demo/go-http-sample:tracing` image: an HTTP server on port
 * 8000 that answers `-> <app>(version: <version>, ip: <podIP>)` followed by whatever its upstream
 * (`upstream_url`) returned - HTTP 200 even when the upstream call failed, in which case the upstream's
 * error body (a proxy's local reply) or the transport error is appended (seed README, step 2 and the
 * drill's first failed chain). Tracing headers are forwarded to the upstream as the `tracing` tag
 * suggests: `x-request-id`, `traceparent`, `tracestate` and every `x-b3-*` / `b3` header.
 *
 * Outbound calls go through the pod's sidecar as an HTTP proxy (absolute-form request to
 * `httpProxy`), as the lab's outbound capture works without iptables (ADR 0008); without a proxy
 * the upstream is called directly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SampleAppOptions {
  /** Env `app`. */
  readonly app: string;
  /** Env `version`. */
  readonly version: string;
  /** Env `upstream_url` (optional). */
  readonly upstreamUrl?: string;
  /** The pod IP shown in the answer. */
  readonly podIP: string;
  /** Where the app listens (in the lab: the pod's private localhost address, port 8000). */
  readonly listenHost: string;
  readonly listenPort: number;
  /** The sidecar's outbound HTTP proxy, if the pod has one. */
  readonly httpProxy?: { readonly host: string; readonly port: number };
  /**
   * Sees every request first and calls `proceed` to let the app answer it (or answers, delays or
   * holds it itself): the node agent's faults (http-5xx, delay, hang) act here.
   */
  readonly gate?: (req: http.IncomingMessage, res: http.ServerResponse, proceed: () => void) => void;
  /** A server error after it started listening (the app "crashes"); without it such an error is ignored. */
  readonly onError?: (err: Error) => void;
}

const forwardedHeader = /^(x-request-id|traceparent|tracestate|b3|x-b3-[a-z]+|x-ot-span-context)$/;

/** The headers of the incoming request that travel on to the upstream. */
export function tracingHeaders(incoming: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (forwardedHeader.test(name) && typeof value === 'string') out[name] = value;
  }
  return out;
}

/** This hop's part of the answer. */
export function hopText(options: Pick<SampleAppOptions, 'app' | 'version' | 'podIP'>): string {
  return `-> ${options.app}(version: ${options.version}, ip: ${options.podIP})`;
}

export class SampleApp {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly options: SampleAppOptions) {
    this.server = http.createServer((req, res) => {
      const gate = this.options.gate;
      if (gate === undefined) this.handle(req, res);
      else gate(req, res, () => this.handle(req, res));
    });
    this.server.keepAliveTimeout = 60_000;
    // An 'error' without a listener would end the whole process, not just this app.
    this.server.on('error', (err) => {
      if (this.server.listening) this.options.onError?.(err);
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const own = hopText(this.options);
    const reply = (tail: string): void => {
      const body = own + tail;
      res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (this.options.upstreamUrl === undefined || this.options.upstreamUrl === '') {
      reply('');
      return;
    }
    this.callUpstream(this.options.upstreamUrl, tracingHeaders(req.headers), res, reply);
  }

  private callUpstream(
    upstreamUrl: string,
    headers: Record<string, string>,
    downstream: http.ServerResponse,
    reply: (tail: string) => void,
  ): void {
    let target: URL;
    try {
      target = new URL(upstreamUrl);
    } catch {
      reply(`invalid upstream_url ${JSON.stringify(upstreamUrl)}`);
      return;
    }
    const proxy = this.options.httpProxy;
    const request = http.request(
      proxy === undefined
        ? {
            host: target.hostname,
            port: target.port || 80,
            path: `${target.pathname}${target.search}`,
            headers,
            agent: this.agent,
          }
        : {
            host: proxy.host,
            port: proxy.port,
            path: target.href,
            headers: { ...headers, host: target.host },
            agent: this.agent,
          },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => reply(Buffer.concat(chunks).toString('utf8')));
        response.on('error', (err) => reply(err.message));
      },
    );
    request.on('error', (err) => reply(`Get "${upstreamUrl}": ${err.message}`));
    // A client that goes away cancels the upstream call, as Go's request context does.
    downstream.on('close', () => {
      if (!downstream.writableFinished) request.destroy();
    });
    request.end();
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.listenPort, this.options.listenHost, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Whether the listener is open. */
  get isListening(): boolean {
    return this.server.listening;
  }

  /**
   * Closes the listener and every connection (new connections are then refused) but keeps the app
   * usable: `listen()` opens it again (the node agent's `refuse` fault).
   */
  stopListening(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Stops accepting, closes idle keep-alive connections and resolves once the requests in flight
   * are answered (a graceful shutdown; `close()` afterwards ends whatever is left).
   */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) {
        this.server.closeAllConnections();
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
