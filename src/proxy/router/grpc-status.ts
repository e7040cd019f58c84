/**
 * gRPC status codes and their mapping to and from HTTP status codes, as the Envoy router uses them
 * for outlier detection, retries (`x-envoy-retry-grpc-on`) and gRPC local replies.
 *
 * Sources: envoyproxy/envoy `source/common/grpc/status.cc` (`grpcToHttpStatus`, `httpToGrpcStatus`),
 * `source/common/grpc/common.cc` (`getGrpcStatus`). Whether a request is gRPC is `isGrpcRequest` in
 * `route-matcher.ts`.
 */
import type { HeaderMap } from '../http/stream-info.js';

/** gRPC status codes (`Grpc::Status::WellKnownGrpcStatus`); `InvalidCode` marks an unparsable header. */
export const GrpcStatus = {
  Ok: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
  InvalidCode: -1,
} as const;

/** The largest status Envoy accepts from a `grpc-status` header (`MaximumKnown` = Unauthenticated). */
export const maximumKnownGrpcStatus = GrpcStatus.Unauthenticated;

/**
 * HTTP status a gRPC status stands for. Envoy `status.cc` `grpcToHttpStatus` (the Google API error
 * mapping): anything outside 0..16, including `InvalidCode`, is 500.
 */
export function grpcToHttpStatus(grpcStatus: number): number {
  switch (grpcStatus) {
    case GrpcStatus.Ok:
      return 200;
    case GrpcStatus.Canceled:
      return 499;
    case GrpcStatus.Unknown:
      return 500;
    case GrpcStatus.InvalidArgument:
      return 400;
    case GrpcStatus.DeadlineExceeded:
      return 504;
    case GrpcStatus.NotFound:
      return 404;
    case GrpcStatus.AlreadyExists:
      return 409;
    case GrpcStatus.PermissionDenied:
      return 403;
    case GrpcStatus.ResourceExhausted:
      return 429;
    case GrpcStatus.FailedPrecondition:
      return 400;
    case GrpcStatus.Aborted:
      return 409;
    case GrpcStatus.OutOfRange:
      return 400;
    case GrpcStatus.Unimplemented:
      return 501;
    case GrpcStatus.Internal:
      return 500;
    case GrpcStatus.Unavailable:
      return 503;
    case GrpcStatus.DataLoss:
      return 500;
    case GrpcStatus.Unauthenticated:
      return 401;
    default:
      return 500;
  }
}

/**
 * gRPC status for an HTTP status (used for gRPC local replies). Envoy `status.cc` `httpToGrpcStatus`,
 * which follows grpc `doc/http-grpc-status-mapping.md`: only these six codes are mapped, all else is
 * UNKNOWN - so a 500 local reply becomes grpc-status 2, not 13.
 */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.Internal;
    case 401:
      return GrpcStatus.Unauthenticated;
    case 403:
      return GrpcStatus.PermissionDenied;
    case 404:
      return GrpcStatus.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.Unavailable;
    default:
      return GrpcStatus.Unknown;
  }
}

// absl::SimpleAtoi into an unsigned integer: surrounding ASCII whitespace and one leading '+' are
// accepted, anything else must be decimal digits.
const unsignedDecimal = /^[ \t\n\v\f\r]*\+?([0-9]+)[ \t\n\v\f\r]*$/;

/**
 * The `grpc-status` of a header or trailer block: `undefined` when absent or empty, `InvalidCode` (-1)
 * when it is not a decimal number or is above 16. Envoy `common.cc` `getGrpcStatus` (without
 * `allow_user_defined`, which the router never sets).
 */
export function parseGrpcStatus(headers: HeaderMap): number | undefined {
  const value = headers.get('grpc-status');
  if (value === undefined || value === '') return undefined;
  const match = unsignedDecimal.exec(value);
  const digits = match?.[1];
  if (digits === undefined) return GrpcStatus.InvalidCode;
  // Compare as text length first so huge values cannot lose precision and slip under the limit.
  if (digits.replace(/^0+(?=.)/, '').length > 2 || Number(digits) > maximumKnownGrpcStatus) {
    return GrpcStatus.InvalidCode;
  }
  return Number(digits);
}

/**
 * The gRPC status of a finished response, looked up the way Envoy's access log and stats do: trailers
 * first, then headers (a trailers-only response), then inferred from the HTTP status if one is known.
 * Envoy `common.cc` `getGrpcStatus(trailers, headers, info)`.
 */
export function resolveGrpcStatus(
  trailers: HeaderMap,
  headers: HeaderMap,
  httpStatus: number | undefined,
): number | undefined {
  return (
    parseGrpcStatus(trailers) ??
    parseGrpcStatus(headers) ??
    (httpStatus === undefined ? undefined : httpToGrpcStatus(httpStatus))
  );
}
