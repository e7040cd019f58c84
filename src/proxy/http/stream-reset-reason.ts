/**
 * Why an upstream stream ended without a complete response: Envoy's `Http::StreamResetReason`
 * (envoyproxy/envoy `envoy/http/stream_reset_handler.h`). Connection pools report these; the router
 * turns them into response flags, local replies and outlier-detection results.
 */
export type StreamResetReason =
  | 'LocalConnectionFailure'
  | 'RemoteConnectionFailure'
  | 'ConnectionTimeout'
  | 'ConnectionTermination'
  | 'LocalReset'
  | 'LocalRefusedStreamReset'
  | 'Overflow'
  | 'RemoteReset'
  | 'RemoteRefusedStreamReset'
  | 'ConnectError'
  | 'ProtocolError'
  | 'OverloadManager'
  | 'Http1PrematureUpstreamHalfClose';

/** A reset reported by a connection pool, with the socket error behind it when there was one. */
export interface UpstreamReset {
  readonly reason: StreamResetReason;
  /** The Node.js error (e.g. `code: 'ECONNREFUSED'`) that caused it, if any. */
  readonly cause: NodeJS.ErrnoException | undefined;
}
