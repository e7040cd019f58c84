import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GrpcStatus,
  grpcToHttpStatus,
  httpToGrpcStatus,
  parseGrpcStatus,
  resolveGrpcStatus,
} from './grpc-status.js';

test('grpcToHttpStatus follows Envoy status.cc for every code, and maps unknown codes to 500', () => {
  const table: Array<[number, number]> = [
    [0, 200],
    [1, 499],
    [2, 500],
    [3, 400],
    [4, 504],
    [5, 404],
    [6, 409],
    [7, 403],
    [8, 429],
    [9, 400],
    [10, 409],
    [11, 400],
    [12, 501],
    [13, 500],
    [14, 503],
    [15, 500],
    [16, 401],
    [GrpcStatus.InvalidCode, 500],
    [17, 500],
  ];
  for (const [grpc, http] of table) assert.equal(grpcToHttpStatus(grpc), http, `grpc ${grpc}`);
});

test('httpToGrpcStatus maps only 400/401/403/404/429/502/503/504 and everything else to UNKNOWN', () => {
  const table: Array<[number, number]> = [
    [400, GrpcStatus.Internal],
    [401, GrpcStatus.Unauthenticated],
    [403, GrpcStatus.PermissionDenied],
    [404, GrpcStatus.Unimplemented],
    [429, GrpcStatus.Unavailable],
    [502, GrpcStatus.Unavailable],
    [503, GrpcStatus.Unavailable],
    [504, GrpcStatus.Unavailable],
    [500, GrpcStatus.Unknown],
    [200, GrpcStatus.Unknown],
    [408, GrpcStatus.Unknown],
    [501, GrpcStatus.Unknown],
  ];
  for (const [http, grpc] of table) assert.equal(httpToGrpcStatus(http), grpc, `http ${http}`);
});

test('parseGrpcStatus reads grpc-status like Envoy getGrpcStatus (absent, invalid, out of range)', () => {
  const table: Array<[string | undefined, number | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['14', 14],
    ['016', 16],
    [' 14 ', 14],
    ['+14', 14],
    ['16', 16],
    ['17', GrpcStatus.InvalidCode],
    ['99999999999999999999999', GrpcStatus.InvalidCode],
    ['-1', GrpcStatus.InvalidCode],
    ['abc', GrpcStatus.InvalidCode],
    ['1 4', GrpcStatus.InvalidCode],
  ];
  for (const [value, expected] of table) {
    const headers = new Map<string, string>();
    if (value !== undefined) headers.set('grpc-status', value);
    assert.equal(parseGrpcStatus(headers), expected, `grpc-status ${JSON.stringify(value)}`);
  }
});

test('resolveGrpcStatus prefers trailers, then headers, then the HTTP status mapping', () => {
  const trailers = new Map([['grpc-status', '5']]);
  const headers = new Map([['grpc-status', '14']]);
  const none = new Map<string, string>();
  assert.equal(resolveGrpcStatus(trailers, headers, 200), 5);
  assert.equal(resolveGrpcStatus(none, headers, 200), 14);
  assert.equal(resolveGrpcStatus(none, none, 503), GrpcStatus.Unavailable);
  assert.equal(resolveGrpcStatus(none, none, undefined), undefined);
});
