/**
 * The demo's client: steady HTTP traffic through each cluster's ingress load balancer, as the seed's
 * `curl -H 'Host: mock.asm-demo.work' http://<ingress>/mock` - one request at a time per ingress, a
 * new TCP connection for each (so that the load balancer's per-connection round robin spreads them
 * over the ingress gateway pods of every zone), a short pause between requests. Every response is
 * kept as a sample with the time it completed.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../core/clock.js';
import { parseChain, type Chain } from './chain.js';
import { demoHost } from './demo-manifests.js';

export interface IngressTarget {
  readonly cluster: string;
  readonly host: string;
  readonly port: number;
}

export interface TrafficSample {
  /** The cluster whose ingress the request went to. */
  readonly cluster: string;
  /** Clock.monotonicMs() when the response (or the error) completed. */
  readonly atMs: number;
  /** HTTP status; 0 when the request failed without a response. */
  readonly status: number;
  readonly body: string;
  readonly chain: Chain;
  /** `server: istio-envoy` and `x-envoy-upstream-service-time` both present (seed walkthrough step 3). */
  readonly hasEnvoyHeaders: boolean;
}

const requestTimeoutMs = 5_000;

/**
 * Waits `ms` (less when `signal` aborts). A real, referenced timer: the demo's waits are what keeps
 * its process alive (the Clock's timers are unref'd by design), and lab code may use real time.
 */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal !== undefined ? { signal } : {}).catch(() => {});
}

/** One request as the seed's curl sends it. */
export function getMock(
  target: IngressTarget,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        path: '/mock',
        headers: { host: demoHost },
        agent: false,
        timeout: requestTimeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => resolve({ status: 0, body: err.message, headers: {} }));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: err.message, headers: {} }));
    req.end();
  });
}

export class Traffic {
  private readonly recorded: TrafficSample[] = [];
  private readonly loops: Promise<void>[] = [];
  private isStopped = false;

  constructor(
    private readonly targets: readonly IngressTarget[],
    private readonly clock: Clock,
    private readonly pauseMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** Starts one sequential request loop per ingress. */
  start(): this {
    for (const target of this.targets) this.loops.push(this.loop(target));
    return this;
  }

  private async loop(target: IngressTarget): Promise<void> {
    while (!this.isStopped && this.signal?.aborted !== true) {
      const res = await getMock(target);
      this.recorded.push({
        cluster: target.cluster,
        atMs: this.clock.monotonicMs(),
        status: res.status,
        body: res.body,
        chain: parseChain(res.status === 200 ? res.body : ''),
        hasEnvoyHeaders:
          res.headers['server'] === 'istio-envoy' &&
          res.headers['x-envoy-upstream-service-time'] !== undefined,
      });
      await delay(this.pauseMs, this.signal);
    }
  }

  samples(): readonly TrafficSample[] {
    return this.recorded;
  }

  /** Stops the loops once their requests in flight have completed (those count too). */
  async stop(): Promise<readonly TrafficSample[]> {
    this.isStopped = true;
    await Promise.all(this.loops);
    return this.recorded;
  }
}
