/** IPC messages between the failover orchestrator and its two child processes. */

export interface BackendSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Orchestrator -> backends. `refuse`: stop accepting connections on one backend. `drain`: keep
 * listening but stop keep-alive there (idle connections close, every later response carries
 * `Connection: close`), so the proxy holds no pooled connection to it when it later refuses.
 */
export interface BackendCommand {
  readonly type: 'refuse' | 'drain';
  readonly name: string;
}

/** Backends -> orchestrator. */
export type BackendsMessage =
  | { readonly type: 'listening' }
  | { readonly type: 'drained'; readonly name: string }
  | {
      readonly type: 'refusing';
      readonly name: string;
      readonly wallMs: number;
      /** Connections the proxy had open to the backend when it stopped listening. */
      readonly connections: number;
    };

export interface LoadSpec {
  readonly url: string;
  readonly ratePerS: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
}

/** One request as the client saw it. */
export interface RequestRecord {
  /** Wall-clock send time, ms since the epoch (sub-ms precision, comparable across processes). */
  readonly sentMs: number;
  readonly latencyMs: number;
  /** HTTP status; 0 when the request failed without a response. */
  readonly status: number;
  /** The backend name from the response body, or the body/error text when it was not a 200. */
  readonly answer: string;
}

/** Load generator -> orchestrator. */
export type LoadMessage =
  | { readonly type: 'started'; readonly wallMs: number }
  | { readonly type: 'done'; readonly records: readonly RequestRecord[] };

/** Wall-clock milliseconds with sub-millisecond precision. */
export function wallNowMs(): number {
  return performance.timeOrigin + performance.now();
}
