/**
 * The lab's "network load balancer" of a cluster (lab design "Processes"): a TCP forwarder on the
 * cluster's ingress address that spreads connections round robin over the ready ingress gateway
 * pods, like a cloud NLB in front of a Service of type LoadBalancer. It is layer 4 only: bytes are
 * passed through untouched, each client connection to one target.
 *
 * Health: the target list comes from the API (pods Ready=True, see gateway-targets.ts); on top of
 * that, a target whose connect fails (refused, or no answer within `connectTimeoutMs`) is skipped
 * for `unhealthyForMs`, and the client's connection is tried on the next target - nothing has been
 * forwarded yet, so the retry is invisible to the client. With no target left, the client
 * connection is reset (a cloud NLB with no healthy target drops the connection likewise).
 */
import net from 'node:net';
import type { Clock } from '../../core/clock.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { HostPort } from '../topology/address-plan.js';

export interface LoadBalancerTarget {
  readonly host: string;
  readonly port: number;
}

export interface LoadBalancerStats {
  readonly connections: number;
  readonly connectFailures: number;
  /** Client connections reset because no target could be reached. */
  readonly noTarget: number;
  readonly active: number;
}

export interface NetworkLoadBalancerOptions {
  readonly listen: HostPort;
  readonly clock: Clock;
  readonly log: Logger;
  readonly connectTimeoutMs?: number;
  readonly unhealthyForMs?: number;
}

const key = (t: LoadBalancerTarget): string => `${t.host}:${t.port}`;

export class NetworkLoadBalancer {
  private readonly server: net.Server;
  private targets: LoadBalancerTarget[] = [];
  private next = 0;
  /** target key -> monotonic ms until which it is skipped */
  private readonly unhealthyUntil = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  private stats = { connections: 0, connectFailures: 0, noTarget: 0 };
  private readonly connectTimeoutMs: number;
  private readonly unhealthyForMs: number;

  constructor(private readonly options: NetworkLoadBalancerOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.unhealthyForMs = options.unhealthyForMs ?? 5_000;
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      this.accept(client),
    );
  }

  /** Binds the listener; a bind failure is a SpillwayError naming the address. */
  async listen(): Promise<HostPort> {
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const hint =
          err.code === 'EACCES'
            ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE: set the cluster's ingressPort to 8080 or higher)"
            : '';
        reject(
          new SpillwayError(
            ErrorCode.listenerBind,
            `network load balancer cannot listen on ${host}:${port}: ${err.code ?? err.message}${hint}`,
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Replaces the targets (from the API's ready gateway pods); connections already open stay. */
  setTargets(targets: readonly LoadBalancerTarget[]): void {
    const sorted = [...targets].sort((a, b) => key(a).localeCompare(key(b)));
    this.targets = sorted;
    const known = new Set(sorted.map(key));
    for (const k of this.unhealthyUntil.keys()) if (!known.has(k)) this.unhealthyUntil.delete(k);
  }

  currentTargets(): readonly LoadBalancerTarget[] {
    return this.targets;
  }

  getStats(): LoadBalancerStats {
    return { ...this.stats, active: this.sockets.size };
  }

  /**
   * Targets in round-robin order starting at the next one, without those being skipped. When every
   * target is being skipped, all are tried: cloud NLBs "fail open" then (AWS Network Load Balancer
   * docs, "Health checks for your target groups": if all targets fail health checks, the load
   * balancer routes to all of them), since a target may have recovered.
   */
  private candidates(): LoadBalancerTarget[] {
    const now = this.options.clock.monotonicMs();
    const n = this.targets.length;
    const ordered: LoadBalancerTarget[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.targets[(this.next + i) % n];
      if (t !== undefined) ordered.push(t);
    }
    this.next = n === 0 ? 0 : (this.next + 1) % n;
    const healthy = ordered.filter((t) => (this.unhealthyUntil.get(key(t)) ?? -Infinity) <= now);
    return healthy.length > 0 ? healthy : ordered;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    this.track(client);
    client.on('error', () => client.destroy());
    this.tryTargets(client, this.candidates());
  }

  private tryTargets(client: net.Socket, remaining: LoadBalancerTarget[]): void {
    if (client.destroyed) return;
    const target = remaining.shift();
    if (target === undefined) {
      this.stats.noTarget++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    this.track(upstream);
    let isConnected = false;
    const timer = this.options.clock.setTimer(this.connectTimeoutMs, () => {
      if (!isConnected) upstream.destroy(new Error('connect timeout'));
    });
    upstream.once('connect', () => {
      isConnected = true;
      timer.cancel();
      this.unhealthyUntil.delete(key(target));
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      // Either side failing ends both: a reset on one side is a reset on the other.
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    upstream.on('error', (err) => {
      timer.cancel();
      if (isConnected) {
        client.destroy();
        return;
      }
      this.stats.connectFailures++;
      this.unhealthyUntil.set(key(target), this.options.clock.monotonicMs() + this.unhealthyForMs);
      this.options.log.debug({ target: key(target), err: err.message }, 'nlb target connect failed');
      this.tryTargets(client, remaining);
    });
  }

  /** Stops listening and closes every open connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
