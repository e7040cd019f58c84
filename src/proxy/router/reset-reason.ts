/**
 * Why an upstream stream ended without a response (Envoy `Http::StreamResetReason`), how the router
 * reports it (response flag, local-reply status/body/details) and how a Node.js socket error at
 * connect time maps onto it.
 *
 * Sources: envoyproxy/envoy `source/common/http/utility.cc` (`resetReasonToString`),
 * `source/common/router/router.cc` (`Filter::onUpstreamReset`, `streamResetReasonToResponseFlag`),
 * `source/common/network/connection_impl.cc` (`ClientConnectionImpl` constructor and `connect`,
 * `ConnectionImpl::onWriteReady`), `source/common/conn_pool/conn_pool_base.cc` (`onConnectionEvent`),
 * `source/common/router/upstream_request.cc` (`onPoolFailure`), `source/common/http/codec_client.cc`
 * (`CodecClient::onEvent`), `source/common/common/utility.cc` (`errorDetails` = `strerror`).
 */
import { ResponseFlag, type ResponseFlagCode } from '../http/response-flags.js';
import type { StreamResetReason } from '../http/stream-reset-reason.js';

// The union itself is shared with the connection pools, which report it.
export type { StreamResetReason };

const reasonText: Readonly<Record<StreamResetReason, string>> = {
  LocalConnectionFailure: 'local connection failure',
  RemoteConnectionFailure: 'remote connection failure',
  ConnectionTimeout: 'connection timeout',
  ConnectionTermination: 'connection termination',
  LocalReset: 'local reset',
  LocalRefusedStreamReset: 'local refused stream reset',
  Overflow: 'overflow',
  RemoteReset: 'remote reset',
  RemoteRefusedStreamReset: 'remote refused stream reset',
  ConnectError: 'remote error with CONNECT request',
  ProtocolError: 'protocol error',
  OverloadManager: 'overload manager reset',
  Http1PrematureUpstreamHalfClose: 'HTTP/1 premature upstream half close',
};

const reasonFlag: Readonly<Record<StreamResetReason, ResponseFlagCode>> = {
  LocalConnectionFailure: ResponseFlag.UpstreamConnectionFailure,
  RemoteConnectionFailure: ResponseFlag.UpstreamConnectionFailure,
  ConnectionTimeout: ResponseFlag.UpstreamConnectionFailure,
  ConnectionTermination: ResponseFlag.UpstreamConnectionTermination,
  LocalReset: ResponseFlag.LocalReset,
  LocalRefusedStreamReset: ResponseFlag.LocalReset,
  Http1PrematureUpstreamHalfClose: ResponseFlag.LocalReset,
  Overflow: ResponseFlag.UpstreamOverflow,
  RemoteReset: ResponseFlag.UpstreamRemoteReset,
  RemoteRefusedStreamReset: ResponseFlag.UpstreamRemoteReset,
  ConnectError: ResponseFlag.UpstreamRemoteReset,
  ProtocolError: ResponseFlag.UpstreamProtocolError,
  OverloadManager: ResponseFlag.OverloadManager,
};

/** Every reset reason, in Envoy's enum order. */
export const streamResetReasons = Object.keys(reasonText) as readonly StreamResetReason[];

/** The text Envoy prints for a reset reason (`Http::Utility::resetReasonToString`). */
export function resetReasonToString(reason: StreamResetReason): string {
  return reasonText[reason];
}

/** The response flag the router sets for a reset (`Filter::streamResetReasonToResponseFlag`). */
export function resetReasonToResponseFlag(reason: StreamResetReason): ResponseFlagCode {
  return reasonFlag[reason];
}

/** Envoy's `StringUtil::replaceAllEmptySpace`: every ASCII whitespace character becomes `_`. */
function replaceAllEmptySpace(text: string): string {
  return text.replace(/[ \t\f\v\n\r]/g, '_');
}

/** What the router sends downstream when the last attempt was reset before response headers. */
export interface UpstreamResetReply {
  /** 502 for a protocol error, else 503 (`onUpstreamReset`). */
  readonly status: 502 | 503;
  readonly body: string;
  /** `%RESPONSE_CODE_DETAILS%`. */
  readonly details: string;
  readonly flag: ResponseFlagCode;
  /**
   * True for `Overflow` (the circuit breaker dropped the request): Envoy then adds
   * `x-envoy-overloaded: true` unless `suppress_envoy_headers`, and the outlier detector is not told.
   */
  readonly isDropped: boolean;
}

/**
 * The local reply for an upstream reset, byte for byte as Envoy `Filter::onUpstreamReset` builds it:
 * body `upstream connect error or disconnect/reset before headers. [retried and the latest ]reset reason:
 * <reason>[, transport failure reason: <tfr>]`, details
 * `upstream_reset_{before|after}_response_started{<reason>[|<tfr>]}` with whitespace turned into `_`.
 * `isRetry` is the router's `is_retry_`: true once any retry has been started for the request.
 * Example (refused connect, first attempt): details
 * `upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}`.
 */
export function upstreamResetReply(
  reason: StreamResetReason,
  transportFailureReason: string,
  isRetry: boolean,
  isDownstreamResponseStarted = false,
): UpstreamResetReply {
  const text = reasonText[reason];
  const body =
    'upstream connect error or disconnect/reset before headers. ' +
    (isRetry ? 'retried and the latest ' : '') +
    'reset reason: ' +
    text +
    (transportFailureReason === '' ? '' : `, transport failure reason: ${transportFailureReason}`);
  const basicDetails = isDownstreamResponseStarted
    ? 'upstream_reset_after_response_started'
    : 'upstream_reset_before_response_started';
  const details = replaceAllEmptySpace(
    `${basicDetails}{${text}${transportFailureReason === '' ? '' : `|${transportFailureReason}`}}`,
  );
  return {
    status: reason === 'ProtocolError' ? 502 : 503,
    body,
    details,
    flag: reasonFlag[reason],
    isDropped: reason === 'Overflow',
  };
}

/** How a failed upstream connection attempt is reported to the router. */
export interface UpstreamConnectFailure {
  readonly reason: StreamResetReason;
  /** `%UPSTREAM_TRANSPORT_FAILURE_REASON%`; empty when Envoy has none. */
  readonly transportFailureReason: string;
}

/** A Node.js system error as raised on a socket (`err.code` such as `ECONNREFUSED`, `err.errno` negative). */
export interface SocketErrorLike {
  readonly code?: string | undefined;
  readonly errno?: number | undefined;
}

interface ErrnoInfo {
  /** Linux errno number. */
  readonly errno: number;
  /** glibc `strerror` text. */
  readonly text: string;
  /**
   * Where Linux reports it for a non-blocking TCP connect: `immediate` from `connect()` itself,
   * `delayed` through SO_ERROR once the socket becomes writable, `socket` when creating the socket.
   */
  readonly when: 'immediate' | 'delayed' | 'socket';
}

// Node reports connect errors asynchronously either way (libuv defers immediate ones), so the
// immediate/delayed split is the kernel's usual behaviour: no route in the table, a bad or exhausted
// source address and a netfilter/permission refusal fail inside connect(); a RST (refused), an ICMP
// unreachable after ARP fails and a SYN timeout arrive later.
const errnos: Readonly<Record<string, ErrnoInfo>> = {
  EPERM: { errno: 1, text: 'Operation not permitted', when: 'immediate' },
  ENOMEM: { errno: 12, text: 'Cannot allocate memory', when: 'socket' },
  EACCES: { errno: 13, text: 'Permission denied', when: 'immediate' },
  EINVAL: { errno: 22, text: 'Invalid argument', when: 'immediate' },
  ENFILE: { errno: 23, text: 'Too many open files in system', when: 'socket' },
  EMFILE: { errno: 24, text: 'Too many open files', when: 'socket' },
  EPIPE: { errno: 32, text: 'Broken pipe', when: 'delayed' },
  EPROTO: { errno: 71, text: 'Protocol error', when: 'delayed' },
  EAFNOSUPPORT: { errno: 97, text: 'Address family not supported by protocol', when: 'immediate' },
  EADDRINUSE: { errno: 98, text: 'Address already in use', when: 'immediate' },
  EADDRNOTAVAIL: { errno: 99, text: 'Cannot assign requested address', when: 'immediate' },
  ENETDOWN: { errno: 100, text: 'Network is down', when: 'immediate' },
  ENETUNREACH: { errno: 101, text: 'Network is unreachable', when: 'immediate' },
  ECONNABORTED: { errno: 103, text: 'Software caused connection abort', when: 'delayed' },
  ECONNRESET: { errno: 104, text: 'Connection reset by peer', when: 'delayed' },
  ENOBUFS: { errno: 105, text: 'No buffer space available', when: 'immediate' },
  ENOTCONN: { errno: 107, text: 'Transport endpoint is not connected', when: 'delayed' },
  ETIMEDOUT: { errno: 110, text: 'Connection timed out', when: 'delayed' },
  ECONNREFUSED: { errno: 111, text: 'Connection refused', when: 'delayed' },
  EHOSTDOWN: { errno: 112, text: 'Host is down', when: 'delayed' },
  EHOSTUNREACH: { errno: 113, text: 'No route to host', when: 'delayed' },
};

/**
 * glibc `strerror` text for a Node error code (`Connection refused` for `ECONNREFUSED`), falling back
 * to glibc's `Unknown error <n>` form when only the number is known, and to the code itself otherwise.
 */
export function strerror(error: SocketErrorLike): string {
  const known = error.code === undefined ? undefined : errnos[error.code];
  if (known !== undefined) return known.text;
  if (error.errno !== undefined) return `Unknown error ${Math.abs(error.errno)}`;
  return error.code ?? 'Unknown error';
}

/** Envoy's `Address::Instance::asString()`: `1.2.3.4:80`, `[::1]:80`. */
export function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Maps a socket error raised while connecting to an upstream host to Envoy's reset reason and
 * transport failure reason. In Envoy a connect error closes the socket as a *remote* close
 * (`onWriteReady`: `delayed connect error: <strerror>`; `connect`: `immediate connect error:
 * <strerror>|remote address:<addr>`), which the pool reports as `RemoteConnectionFailure`
 * (`conn_pool_base.cc` `onConnectionEvent`). Only a failure to create the socket is a *local* close
 * (`socket creation failure`, `LocalConnectionFailure`). The pool's own connect timeout is
 * {@link connectTimeoutFailure}, not a socket error.
 */
export function connectErrorToFailure(
  error: SocketErrorLike,
  remoteAddress: string,
  remotePort: number,
): UpstreamConnectFailure {
  const known = error.code === undefined ? undefined : errnos[error.code];
  const text = strerror(error);
  if (known?.when === 'socket') {
    return { reason: 'LocalConnectionFailure', transportFailureReason: 'socket creation failure' };
  }
  if (known?.when === 'immediate') {
    return {
      reason: 'RemoteConnectionFailure',
      transportFailureReason: `immediate connect error: ${text}|remote address:${formatAddress(remoteAddress, remotePort)}`,
    };
  }
  return { reason: 'RemoteConnectionFailure', transportFailureReason: `delayed connect error: ${text}` };
}

/**
 * The cluster's `connect_timeout` fired before the connection was up: the pool closes the socket
 * itself and reports `Timeout`, which the router sees as `ConnectionTimeout` with no transport failure
 * reason (`ActiveClient::onConnectTimeout`, `UpstreamRequest::onPoolFailure`).
 */
export function connectTimeoutFailure(): UpstreamConnectFailure {
  return { reason: 'ConnectionTimeout', transportFailureReason: '' };
}

/**
 * Reset reason for a stream whose (already connected) upstream connection closed before the response
 * finished: `ConnectionTermination`, or `ProtocolError` when the codec had failed to parse the
 * response (`CodecClient::onEvent`). Envoy passes no transport failure reason in this case.
 */
export function connectionClosedResetReason(hadProtocolError: boolean): StreamResetReason {
  return hadProtocolError ? 'ProtocolError' : 'ConnectionTermination';
}
