/**
 * Faults on a pod's app (lab design "Faults"), real at the socket level:
 * - `refuse`: the app's listener closes with its connections - new connections are refused;
 * - `hang`: connections are accepted, requests are never answered (until healed: then they are);
 * - `http-5xx`: every request is answered with `status` (503 by default);
 * - `delay`: every request is answered `delayMs` (1000 by default) later than it would be;
 * - `kill`: the container dies at once (exit 137, as after SIGKILL) and restarts with back-off.
 * A fault lasts until healed, or `durationMs` when given (`kill` happens once).
 *
 * The built-in sample app supports every kind; a command container runs a program the agent does
 * not control, so only what signals can do applies to it: `kill` (SIGKILL to its process group) and
 * `hang` (SIGSTOP: the kernel keeps accepting into the listen backlog, nothing answers; SIGCONT heals).
 */
import type http from 'node:http';
import type { Clock, Timer } from '../../core/clock.js';
import { isRecord } from '../../core/json-shape.js';

export const faultKinds = ['refuse', 'hang', 'http-5xx', 'delay', 'kill'] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface FaultSpec {
  readonly kind: FaultKind;
  /** The container to break (default: the pod's app container). */
  readonly container?: string;
  /** Heal automatically after this long. */
  readonly durationMs?: number;
  /** `delay`: how much later answers come. */
  readonly delayMs?: number;
  /** `http-5xx`: the status answered. */
  readonly status?: number;
}

export const defaultDelayMs = 1000;
export const defaultFaultStatus = 503;

function nonNegativeInteger(value: unknown, field: string, max: number): number | string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    return `${field} must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`;
  return value;
}

/** Parses a fault request body (untrusted JSON); the error text names the field. */
export function parseFaultSpec(body: unknown): FaultSpec | { readonly error: string } {
  if (!isRecord(body)) return { error: 'the body must be a JSON object such as {"kind":"refuse"}' };
  const known = ['kind', 'container', 'durationMs', 'delayMs', 'status'];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    return { error: `unknown field ${JSON.stringify(unknown[0])} (known: ${known.join(', ')})` };
  const kind = body['kind'];
  if (typeof kind !== 'string' || !(faultKinds as readonly string[]).includes(kind))
    return { error: `kind must be one of ${faultKinds.join(', ')}, got ${JSON.stringify(kind)}` };
  const spec: { -readonly [K in keyof FaultSpec]: FaultSpec[K] } = { kind: kind as FaultKind };
  if (body['container'] !== undefined) {
    if (typeof body['container'] !== 'string' || body['container'] === '')
      return { error: 'container must be a container name' };
    spec.container = body['container'];
  }
  const day = 86_400_000;
  for (const field of ['durationMs', 'delayMs'] as const) {
    if (body[field] === undefined) continue;
    const v = nonNegativeInteger(body[field], field, day);
    if (typeof v === 'string') return { error: v };
    spec[field] = v;
  }
  if (body['status'] !== undefined) {
    const v = body['status'];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 500 || v > 599)
      return { error: `status must be a 5xx code, got ${JSON.stringify(v)}` };
    spec.status = v;
  }
  if (spec.delayMs !== undefined && kind !== 'delay') return { error: 'delayMs applies to kind delay only' };
  if (spec.status !== undefined && kind !== 'http-5xx')
    return { error: 'status applies to kind http-5xx only' };
  if (spec.durationMs !== undefined && kind === 'kill')
    return { error: 'kill happens once: durationMs does not apply' };
  return spec;
}

/** The kinds a container of this runtime supports. */
export function supportedFaultKinds(runtime: 'sample-app' | 'command'): readonly FaultKind[] {
  return runtime === 'sample-app' ? faultKinds : ['hang', 'kill'];
}

/**
 * The request-level part of the sample app's faults (hang, http-5xx, delay). Held requests of a
 * `hang` are answered when the fault goes away; requests whose client left are dropped.
 */
export class FaultGate {
  private fault: FaultSpec | undefined;
  private readonly held = new Set<() => void>();
  private readonly delays = new Set<Timer>();

  constructor(private readonly clock: Clock) {}

  set(fault: FaultSpec | undefined): void {
    this.fault = fault;
    if (fault?.kind === 'hang') return;
    const release = [...this.held];
    this.held.clear();
    for (const proceed of release) proceed();
  }

  /** Requests held by a `hang` right now. */
  heldCount(): number {
    return this.held.size;
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, proceed: () => void): void {
    const fault = this.fault;
    switch (fault?.kind) {
      case 'hang': {
        const resume = (): void => {
          if (!res.destroyed) proceed();
        };
        this.held.add(resume);
        res.once('close', () => this.held.delete(resume));
        return;
      }
      case 'http-5xx': {
        req.resume();
        const status = fault.status ?? defaultFaultStatus;
        const body = `fault injected: http-${status}`;
        res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      case 'delay': {
        const timer = this.clock.setTimer(fault.delayMs ?? defaultDelayMs, () => {
          this.delays.delete(timer);
          if (!res.destroyed) proceed();
        });
        this.delays.add(timer);
        return;
      }
      default:
        proceed();
    }
  }

  /** Cancels pending delays (the app is going away). */
  close(): void {
    for (const t of this.delays) t.cancel();
    this.delays.clear();
    this.held.clear();
  }
}
