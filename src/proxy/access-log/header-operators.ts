/**
 * Access-log operators that read HTTP headers and trailers, plus the other HTTP-only operators of
 * Envoy's HTTP command parser (envoyproxy/envoy `source/common/formatter/http_specific_formatter.cc`,
 * `HttpBuiltInCommandParser::getKnownFormatters`).
 */
import type { HeaderMap, StreamInfo } from '../http/stream-info.js';
import {
  configInvalid,
  simple,
  truncateUtf8,
  type FormatOperator,
  type OperatorDefinition,
} from './format-operator.js';

/** RFC 7230 `tchar`, lower case (names are lower-cased first), with an optional leading `:`. */
const validHeaderName = /^:?[a-z0-9!#$%&'*+\-.^_`|~]+$/;

/**
 * Envoy `SubstitutionFormatUtils::parseSubcommandHeaders`: `MAIN?ALT`, at most one alternative, both
 * valid header names; names are matched lower-cased (`Http::LowerCaseString`).
 */
function parseHeaderNames(arg: string, path: string): { main: string; alternative: string | undefined } {
  const parts = arg.split('?');
  if (parts.length > 2) {
    throw configInvalid(path, `more than 1 alternative header specified in token: ${arg}`);
  }
  const main = (parts[0] as string).toLowerCase();
  const alternative = parts[1]?.toLowerCase();
  for (const name of alternative === undefined || alternative === '' ? [main] : [main, alternative]) {
    if (!validHeaderName.test(name)) {
      throw configInvalid(path, `invalid header name "${name}" in access log operator argument "${arg}"`);
    }
  }
  return { main, alternative: alternative === '' ? undefined : alternative };
}

/**
 * Envoy `HeaderFormatter::findHeader`: the main header, else the alternative; a present but empty
 * header is an empty string (not `-`). The value is truncated to `maxLength` bytes.
 */
function headerOperator(pick: (info: StreamInfo) => HeaderMap): OperatorDefinition {
  return {
    argument: 'required',
    isLengthAllowed: true,
    create: (arg, maxLength, path): FormatOperator => {
      const { main, alternative } = parseHeaderNames(arg, path);
      return (info) => {
        const headers = pick(info);
        const value = headers.get(main) ?? (alternative === undefined ? undefined : headers.get(alternative));
        return value === undefined ? undefined : truncateUtf8(value, maxLength);
      };
    },
  };
}

/** gRPC status names as Envoy's `Grpc::Utility::grpcStatusToString` prints them (`CAMEL_STRING`). */
const camelGrpcNames = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** `absl::StatusCodeToString` names (`SNAKE_STRING`). */
const snakeGrpcNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Envoy's `WellKnownGrpcStatus::InvalidCode`, used for an unparsable `grpc-status`. */
const invalidGrpcCode = -1;

/** Envoy `Grpc::Utility::httpToGrpcStatus` (grpc `doc/http-grpc-status-mapping.md`). */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

/** Envoy `Grpc::Common::hasGrpcContentType`: `application/grpc` or `application/grpc+<codec>`. */
function hasGrpcContentType(headers: HeaderMap): boolean {
  const contentType = headers.get('content-type');
  return contentType === 'application/grpc' || contentType?.startsWith('application/grpc+') === true;
}

/** Envoy `Grpc::Common::getGrpcStatus(headers, allow_user_defined=true)`. */
function grpcStatusHeader(headers: HeaderMap): number | undefined {
  const value = headers.get('grpc-status');
  if (value === undefined || value === '') return undefined;
  const trimmed = value.trim();
  return /^\+?\d+$/.test(trimmed) ? Number(trimmed) : invalidGrpcCode;
}

/**
 * Envoy `Grpc::Common::getGrpcStatus(trailers, headers, info)`: trailers first, then headers, then the
 * HTTP status mapped to gRPC. Only for gRPC requests (runtime guard
 * `validate_grpc_header_before_log_grpc_status`, on by default).
 */
export function grpcStatusOf(info: StreamInfo): number | undefined {
  if (!info.isGrpc && !hasGrpcContentType(info.requestHeaders)) return undefined;
  return (
    grpcStatusHeader(info.responseTrailers) ??
    grpcStatusHeader(info.responseHeaders) ??
    info.grpcStatus ??
    (info.responseCode === undefined ? undefined : httpToGrpcStatus(info.responseCode))
  );
}

type GrpcStatusStyle = 'camel' | 'snake' | 'number';

const grpcStatusStyles: ReadonlyMap<string, GrpcStatusStyle> = new Map([
  ['', 'camel'],
  ['CAMEL_STRING', 'camel'],
  ['SNAKE_STRING', 'snake'],
  ['NUMBER', 'number'],
]);

function grpcStatusOperator(style: GrpcStatusStyle): FormatOperator {
  return (info) => {
    const status = grpcStatusOf(info);
    if (status === undefined) return undefined;
    if (style === 'number') return status;
    // Unknown or user-defined codes print as their number (Envoy `GrpcStatusFormatter`).
    const name = (style === 'camel' ? camelGrpcNames : snakeGrpcNames)[status];
    return name ?? String(status);
  };
}

/** Envoy `HeaderMapImpl::byteSize`: the sum of name and value lengths in bytes. */
function headerBytes(headers: HeaderMap): number {
  let total = 0;
  for (const [name, value] of headers) total += Buffer.byteLength(name) + Buffer.byteLength(value);
  return total;
}

const table: Array<[string, OperatorDefinition]> = [
  ['REQ', headerOperator((i) => i.requestHeaders)],
  ['RESP', headerOperator((i) => i.responseHeaders)],
  ['TRAILER', headerOperator((i) => i.responseTrailers)],
  // Envoy reads the request headers kept in StreamInfo; Spillway keeps only those.
  ['STREAM_INFO_REQ', headerOperator((i) => i.requestHeaders)],
  // A string, empty when the response was not a local reply (never `-`).
  ['LOCAL_REPLY_BODY', simple((i) => i.localReplyBody ?? '')],
  // Spillway logs only when the downstream stream ends: Envoy's AccessLogType::DownstreamEnd.
  ['ACCESS_LOG_TYPE', simple(() => 'DownstreamEnd')],
  [
    'GRPC_STATUS',
    {
      argument: 'optional',
      isLengthAllowed: false,
      create: (arg, _maxLength, path) => {
        const style = grpcStatusStyles.get(arg);
        if (style === undefined) {
          throw configInvalid(
            path,
            `GRPC_STATUS only supports CAMEL_STRING, SNAKE_STRING or NUMBER, not "${arg}"`,
          );
        }
        return grpcStatusOperator(style);
      },
    },
  ],
  ['GRPC_STATUS_NUMBER', simple(grpcStatusOperator('number'))],
  ['REQUEST_HEADERS_BYTES', simple((i) => headerBytes(i.requestHeaders))],
  ['RESPONSE_HEADERS_BYTES', simple((i) => headerBytes(i.responseHeaders))],
  ['RESPONSE_TRAILERS_BYTES', simple((i) => headerBytes(i.responseTrailers))],
];

export const headerOperators: ReadonlyMap<string, OperatorDefinition> = new Map(table);
