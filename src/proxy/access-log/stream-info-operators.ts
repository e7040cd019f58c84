/**
 * Access-log operators that read `StreamInfo` fields: Envoy's built-in stream-info command parser
 * (envoyproxy/envoy `source/common/formatter/stream_info_formatter.cc`,
 * `getKnownStreamInfoFormatterProviders`). Each entry cites the behaviour it reproduces where it is not
 * a plain field read. Durations are milliseconds truncated toward zero (`duration_cast<milliseconds>`).
 */
import { hostname } from 'node:os';
import type { StreamInfo } from '../http/stream-info.js';
import { ResponseFlag, type ResponseFlagCode } from '../http/response-flags.js';
import type { Host } from '../upstream/host.js';
import {
  nonEmpty,
  simple,
  truncateUtf8,
  type FormatOperator,
  type FormatValue,
  type OperatorDefinition,
} from './format-operator.js';
import { compileTimeFormat } from './start-time-format.js';

/** Long flag names (`%RESPONSE_FLAGS_LONG%`), Envoy `source/common/stream_info/utility.h`. */
const longFlagNames: Readonly<Record<ResponseFlagCode, string>> = {
  LH: 'FailedLocalHealthCheck',
  UH: 'NoHealthyUpstream',
  UT: 'UpstreamRequestTimeout',
  LR: 'LocalReset',
  UR: 'UpstreamRemoteReset',
  UF: 'UpstreamConnectionFailure',
  UC: 'UpstreamConnectionTermination',
  UO: 'UpstreamOverflow',
  NR: 'NoRouteFound',
  DI: 'DelayInjected',
  FI: 'FaultInjected',
  RL: 'RateLimited',
  UAEX: 'UnauthorizedExternalService',
  RLSE: 'RateLimitServiceError',
  DC: 'DownstreamConnectionTermination',
  URX: 'UpstreamRetryLimitExceeded',
  SI: 'StreamIdleTimeout',
  IH: 'InvalidEnvoyRequestHeaders',
  DPE: 'DownstreamProtocolError',
  UMSDR: 'UpstreamMaxStreamDurationReached',
  RFCF: 'ResponseFromCacheFilter',
  NFCF: 'NoFilterConfigFound',
  DT: 'DurationTimeout',
  UPE: 'UpstreamProtocolError',
  NC: 'NoClusterFound',
  // The enum member is OverloadManager but Envoy's long string is OverloadManagerTerminated.
  OM: 'OverloadManagerTerminated',
  DF: 'DnsResolutionFailed',
};

const flagOrder: readonly ResponseFlagCode[] = Object.values(ResponseFlag);

/** Envoy `ResponseFlagUtils::toString`: long names joined with `,` in enum order; `-` when none. */
export function longResponseFlags(info: StreamInfo): string {
  const names = flagOrder.filter((f) => info.responseFlags.has(f)).map((f) => longFlagNames[f]);
  return names.length === 0 ? '-' : names.join(',');
}

/** Envoy `Address::Ipv6Instance::asString()` brackets IPv6 addresses: `[::1]:80`. */
export function hostAddressString(host: Host): string {
  return host.address.includes(':') ? `[${host.address}]:${host.port}` : `${host.address}:${host.port}`;
}

interface AddressParts {
  readonly ip: string;
  readonly port: string | undefined;
}

/** Splits `1.2.3.4:80`, `[::1]:80`, or a port-less address; `''` is "no address". */
function splitAddress(address: string | undefined): AddressParts | undefined {
  if (address === undefined || address === '') return undefined;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) return { ip: address, port: undefined };
    const rest = address.slice(close + 1);
    return { ip: address.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const colon = address.indexOf(':');
  if (colon < 0 || address.indexOf(':', colon + 1) >= 0) return { ip: address, port: undefined };
  return { ip: address.slice(0, colon), port: address.slice(colon + 1) };
}

type AddressGetter = (info: StreamInfo) => string | undefined;

/**
 * The three Envoy address renderings (`StreamInfoAddressFormatterProvider`): as-is, without port
 * (`formatDownstreamAddressNoPort`, IPv6 without brackets) and just the port (a number in JSON).
 */
function addressOperators(prefix: string, get: AddressGetter): Array<[string, OperatorDefinition]> {
  return [
    [prefix, simple((info) => nonEmpty(get(info)))],
    [`${prefix}_WITHOUT_PORT`, simple((info) => splitAddress(get(info))?.ip)],
    [
      `${prefix.replace(/_ADDRESS$/, '')}_PORT`,
      simple((info) => {
        const port = splitAddress(get(info))?.port;
        return port === undefined || !/^\d+$/.test(port) ? undefined : Number(port);
      }),
    ],
  ];
}

function millisBetween(fromMs: number, toMs: number | undefined): number | undefined {
  return toMs === undefined ? undefined : Math.trunc(toMs - fromMs);
}

function upstreamAddress(info: StreamInfo): string | undefined {
  return info.upstreamHost === undefined ? undefined : hostAddressString(info.upstreamHost);
}

/** Envoy `HeaderUtility::stripPortFromHost`: drops a trailing `:port` (keeps IPv6 literals intact). */
function stripPort(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*):\d+$/.exec(host);
  return m === null ? host : (m[1] as string);
}

function upstreamHostName(info: StreamInfo): string | undefined {
  const host = info.upstreamHost;
  if (host === undefined) return undefined;
  // Envoy `UPSTREAM_HOST_NAME`: the EDS hostname, or the address when there is none.
  return host.hostname !== '' ? host.hostname : hostAddressString(host);
}

/**
 * Envoy `StringUtil::replaceAllEmptySpace`: details such as `upstream_reset_before_response_started{...}`
 * never contain whitespace in logs unless `%RESPONSE_CODE_DETAILS(ALLOW_WHITESPACES)%` is used.
 */
const whitespace = /[ \t\f\v\n\r]/g;

const cachedHostname = ((): string | undefined => {
  try {
    return hostname();
  } catch {
    return undefined;
  }
})();

/**
 * Spillway's listeners and upstream connections are plaintext. For a plaintext connection Envoy's
 * TLS operators (`StreamInfoSslConnectionInfoFormatterProvider`, `REQUESTED_SERVER_NAME`, handshake
 * timing) have no value and print `-`, so that is what these print.
 */
const plaintextOnlyOperators = [
  'REQUESTED_SERVER_NAME',
  'DOWNSTREAM_TRANSPORT_FAILURE_REASON',
  'DOWNSTREAM_HANDSHAKE_DURATION',
  'TLS_JA3_FINGERPRINT',
  'TLS_JA4_FINGERPRINT',
  ...['URI_SAN', 'DNS_SAN', 'IP_SAN', 'SUBJECT'].flatMap((s) => [
    `UPSTREAM_PEER_${s}`,
    `UPSTREAM_LOCAL_${s}`,
  ]),
  'UPSTREAM_PEER_ISSUER',
  'UPSTREAM_PEER_CERT',
  'UPSTREAM_TLS_CIPHER',
  'UPSTREAM_TLS_VERSION',
  'UPSTREAM_TLS_SESSION_ID',
  ...['URI_SAN', 'DNS_SAN', 'IP_SAN', 'EMAIL_SAN', 'OTHERNAME_SAN', 'SUBJECT'].flatMap((s) => [
    `DOWNSTREAM_PEER_${s}`,
    `DOWNSTREAM_LOCAL_${s}`,
  ]),
  'DOWNSTREAM_TLS_SESSION_ID',
  'DOWNSTREAM_TLS_CIPHER',
  'DOWNSTREAM_TLS_VERSION',
  'DOWNSTREAM_PEER_FINGERPRINT_256',
  'DOWNSTREAM_PEER_FINGERPRINT_1',
  'DOWNSTREAM_PEER_SERIAL',
  'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_256',
  'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_1',
  'DOWNSTREAM_PEER_CHAIN_SERIALS',
  'DOWNSTREAM_PEER_ISSUER',
  'DOWNSTREAM_PEER_CERT',
];

/** Certificate validity dates take an optional time format, like START_TIME. */
const plaintextCertDateOperators = [
  'DOWNSTREAM_PEER_CERT_V_START',
  'DOWNSTREAM_PEER_CERT_V_END',
  'UPSTREAM_PEER_CERT_V_START',
  'UPSTREAM_PEER_CERT_V_END',
];

/**
 * Envoy operators that exist but that Spillway cannot supply truthfully (no metadata, filter state,
 * wire-level byte meters, local time zone or connection pool timing). Using one is a config error with
 * code `SPILLWAY_ERR_CONFIG_UNSUPPORTED`, not a silent `-`.
 */
export const unsupportedEnvoyOperators: ReadonlySet<string> = new Set([
  'START_TIME_LOCAL',
  'EMIT_TIME',
  'EMIT_TIME_LOCAL',
  'COMMON_DURATION',
  'CUSTOM_FLAGS',
  'UNIQUE_ID',
  'UPSTREAM_CONNECTION_ID',
  'UPSTREAM_CONNECTION_POOL_READY_DURATION',
  'ROUNDTRIP_DURATION',
  'BYTES_RETRANSMITTED',
  'PACKETS_RETRANSMITTED',
  'FILTER_CHAIN_NAME',
  'DYNAMIC_METADATA',
  'CLUSTER_METADATA',
  'UPSTREAM_METADATA',
  'FILTER_STATE',
  'UPSTREAM_FILTER_STATE',
  ...['UPSTREAM', 'DOWNSTREAM'].flatMap((side) =>
    ['WIRE_BYTES', 'HEADER_BYTES', 'DECOMPRESSED_HEADER_BYTES'].flatMap((what) => [
      `${side}_${what}_SENT`,
      `${side}_${what}_RECEIVED`,
    ]),
  ),
]);

const table: Array<[string, OperatorDefinition]> = [
  ['REQUEST_DURATION', simple((i) => millisBetween(i.startMonotonicMs, i.lastDownstreamRxMonotonicMs))],
  ['REQUEST_TX_DURATION', simple((i) => millisBetween(i.startMonotonicMs, i.lastUpstreamTxMonotonicMs))],
  ['RESPONSE_DURATION', simple((i) => millisBetween(i.startMonotonicMs, i.firstUpstreamRxMonotonicMs))],
  [
    'RESPONSE_TX_DURATION',
    // Last byte sent downstream minus first byte received from upstream; both must be known.
    simple((i) =>
      i.firstUpstreamRxMonotonicMs === undefined
        ? undefined
        : millisBetween(i.firstUpstreamRxMonotonicMs, i.endMonotonicMs),
    ),
  ],
  ['DURATION', simple((i) => millisBetween(0, i.durationMs()))],
  ['BYTES_RECEIVED', simple((i) => i.bytesReceived)],
  ['BYTES_SENT', simple((i) => i.bytesSent)],
  ['PROTOCOL', simple((i) => i.protocol)],
  ['UPSTREAM_PROTOCOL', simple((i) => i.upstreamProtocol)],
  // `responseCode().value_or(0)`: a request that never got a response logs 0, not `-`.
  ['RESPONSE_CODE', simple((i) => i.responseCode ?? 0)],
  [
    'RESPONSE_CODE_DETAILS',
    {
      argument: 'optional',
      isLengthAllowed: false,
      create: (arg) => {
        const isWhitespaceAllowed = arg === 'ALLOW_WHITESPACES';
        return (i) => {
          const details = nonEmpty(i.responseCodeDetails);
          return details === undefined || isWhitespaceAllowed ? details : details.replace(whitespace, '_');
        };
      },
    },
  ],
  ['CONNECTION_TERMINATION_DETAILS', simple((i) => nonEmpty(i.connectionTerminationDetails))],
  // `toShortString` returns the string `-` when no flag is set, so JSON gets "-" rather than null.
  ['RESPONSE_FLAGS', simple((i) => i.responseFlags.toString())],
  ['RESPONSE_FLAGS_LONG', simple(longResponseFlags)],
  ['UPSTREAM_HOST_NAME', simple(upstreamHostName)],
  [
    'UPSTREAM_HOST_NAME_WITHOUT_PORT',
    simple((i) => {
      const name = upstreamHostName(i);
      return name === undefined ? undefined : stripPort(name);
    }),
  ],
  ['UPSTREAM_HOST', simple(upstreamAddress)],
  // Envoy prints the cluster's observability name (alt_stat_name when set); RAW prints the name.
  [
    'UPSTREAM_CLUSTER',
    simple((i) => nonEmpty(i.upstreamClusterAltStatName) ?? nonEmpty(i.upstreamClusterName)),
  ],
  ['UPSTREAM_CLUSTER_RAW', simple((i) => nonEmpty(i.upstreamClusterName))],
  ...addressOperators('UPSTREAM_LOCAL_ADDRESS', (i) => i.upstreamLocalAddress),
  ...addressOperators('UPSTREAM_REMOTE_ADDRESS', upstreamAddress),
  ['UPSTREAM_REQUEST_ATTEMPT_COUNT', simple((i) => i.attemptCount)],
  ...addressOperators('DOWNSTREAM_LOCAL_ADDRESS', (i) => i.downstreamLocalAddress),
  ...addressOperators('DOWNSTREAM_REMOTE_ADDRESS', (i) => i.downstreamRemoteAddress),
  // Spillway never rewrites the remote address from x-forwarded-for or PROXY protocol, so the
  // "direct" (physical peer) addresses are the same as the plain ones.
  ...addressOperators('DOWNSTREAM_DIRECT_LOCAL_ADDRESS', (i) => i.downstreamLocalAddress),
  ...addressOperators('DOWNSTREAM_DIRECT_REMOTE_ADDRESS', (i) => i.downstreamRemoteAddress),
  ['CONNECTION_ID', simple((i) => i.connectionId ?? 0)],
  ['ROUTE_NAME', simple((i) => nonEmpty(i.routeName))],
  [
    'UPSTREAM_TRANSPORT_FAILURE_REASON',
    // Envoy replaces each space with `_` (`delayed_connect_error:_Connection_refused`).
    simple((i) => nonEmpty(i.upstreamTransportFailureReason)?.replaceAll(' ', '_')),
  ],
  ['HOSTNAME', simple(() => cachedHostname)],
  ['VIRTUAL_CLUSTER_NAME', simple((i) => nonEmpty(i.virtualClusterName))],
  // Envoy's stream id provider is the request id (x-request-id).
  ['STREAM_ID', simple((i) => nonEmpty(i.requestId))],
  [
    'START_TIME',
    {
      argument: 'optional',
      isLengthAllowed: false,
      create: (arg, _maxLength, path) => {
        const format = compileTimeFormat(arg, path);
        return (i) => format(i.startWallMs);
      },
    },
  ],
  [
    'ENVIRONMENT',
    {
      argument: 'required',
      isLengthAllowed: true,
      // Read once at configuration time; a missing variable is the string `-` (also in JSON).
      create: (arg, maxLength) => {
        const value = process.env[arg];
        const text = value === undefined ? '-' : truncateUtf8(value, maxLength);
        return () => text;
      },
    },
  ],
  ...plaintextOnlyOperators.map((name): [string, OperatorDefinition] => [name, simple(() => undefined)]),
  ...plaintextCertDateOperators.map((name): [string, OperatorDefinition] => [
    name,
    {
      argument: 'optional',
      isLengthAllowed: false,
      create: (arg, _maxLength, path): FormatOperator => {
        compileTimeFormat(arg, path);
        return (): FormatValue => undefined;
      },
    },
  ]),
];

export const streamInfoOperators: ReadonlyMap<string, OperatorDefinition> = new Map(table);
