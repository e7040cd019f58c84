/** The IPC messages between the benchmark and its ADS load processes (JSON over the Node IPC channel). */

/** Benchmark -> load process. */
export type LoadCommand =
  | {
      readonly type: 'start';
      /** `host:port` of the control plane's ADS server. */
      readonly xdsAddress: string;
      readonly proxies: readonly { readonly index: number; readonly node: Record<string, unknown> }[];
    }
  /** Watch every EDS response for an endpoint with this address (change `id`). */
  | { readonly type: 'expect'; readonly id: number; readonly address: string }
  /** Report what change `id` has seen so far, even if not every proxy has it. */
  | { readonly type: 'collect'; readonly id: number }
  | { readonly type: 'stop' };

/** Per proxy: monotonic ms (mono-time.ts) or null when it has not happened. */
export type ProxyTimes = readonly (number | null)[];

/** Load process -> benchmark. */
export type LoadEvent =
  | { readonly type: 'ready'; readonly pid: number }
  /** The expectation of change `id` is registered: the change may be written. */
  | { readonly type: 'expecting'; readonly id: number }
  /** Every proxy has connected (streams opened, first request sent) at `connectStartMs`.. */
  | { readonly type: 'connecting'; readonly connectStartMs: number }
  /**
   * Every proxy holds a complete config (CDS, then EDS for every cluster, LDS, RDS for every route
   * name, each response ACKed): the time of its last ACK, per proxy (in `start` order).
   */
  | { readonly type: 'synced'; readonly syncedAtMs: ProxyTimes; readonly stats: LoadStats }
  /** For change `id`: when each proxy had received and ACKed the EDS response holding the marker. */
  | {
      readonly type: 'seen';
      readonly id: number;
      readonly ackedAtMs: ProxyTimes;
      readonly isComplete: boolean;
    }
  | { readonly type: 'stopped'; readonly stats: LoadStats }
  | { readonly type: 'error'; readonly message: string };

export interface LoadStats {
  readonly proxies: number;
  readonly responses: Record<string, number>;
  readonly bytesReceived: number;
  /** Streams that ended (gRPC status) while the benchmark was running. */
  readonly streamsEnded: number;
  readonly lastStreamError?: string;
  /** Responses the simulated proxies could not read. */
  readonly unreadable: number;
  /** CDS / LDS decodes done (the rest were the same version, read from the cache). */
  readonly fullDecodes: number;
}
