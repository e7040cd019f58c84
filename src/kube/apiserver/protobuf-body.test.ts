import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeApiError } from './kube-object.js';
import { decodeProtobufObject } from './protobuf-body.js';

// A minimal protobuf writer for hand-built test bodies.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
const bytesField = (num: number, value: Buffer | string): Buffer => {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([varint((num << 3) | 2), varint(b.length), b]);
};
const varintField = (num: number, value: number): Buffer => Buffer.concat([varint(num << 3), varint(value)]);
const mapEntry = (num: number, key: string, value: string): Buffer =>
  bytesField(num, Buffer.concat([bytesField(1, key), bytesField(2, value)]));

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([bytesField(1, apiVersion), bytesField(2, kind)]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytesField(1, typeMeta), bytesField(2, raw)]);
}

// ObjectMeta as go-to-protobuf writes it: every non-pointer string, even empty ones.
const meta = Buffer.concat([
  bytesField(1, 'cfg'),
  bytesField(2, ''),
  bytesField(3, ''),
  varintField(7, 0),
  bytesField(8, Buffer.alloc(0)),
  mapEntry(11, 'app', 'web'),
]);

describe('decodeProtobufObject', () => {
  test('decodes a ConfigMap and drops the empty non-pointer fields', () => {
    const raw = Buffer.concat([bytesField(1, meta), mapEntry(2, 'a', 'b'), mapEntry(2, 'c', 'd')]);
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'ConfigMap', raw)), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', labels: { app: 'web' } },
      data: { a: 'b', c: 'd' },
    });
  });

  test('keeps a pointer field set to zero (Deployment replicas 0)', () => {
    const spec = Buffer.concat([varintField(1, 0), varintField(5, 0)]);
    const raw = Buffer.concat([bytesField(1, meta), bytesField(2, spec)]);
    const decoded = decodeProtobufObject(envelope('apps/v1', 'Deployment', raw));
    assert.deepEqual(decoded['spec'], { replicas: 0 });
  });

  test('refuses an unknown field that carries data instead of dropping it', () => {
    const raw = Buffer.concat([bytesField(1, meta), bytesField(9, 'surprise')]);
    assert.throws(
      () => decodeProtobufObject(envelope('v1', 'ConfigMap', raw)),
      (e: unknown) => e instanceof KubeApiError && e.code === 415 && /field 9 of ConfigMap/.test(e.message),
    );
  });

  test('skips an unknown field that carries nothing', () => {
    const raw = Buffer.concat([
      bytesField(1, meta),
      bytesField(9, Buffer.concat([bytesField(1, ''), varintField(2, 0)])),
    ]);
    assert.equal(
      (decodeProtobufObject(envelope('v1', 'ConfigMap', raw))['metadata'] as { name: string }).name,
      'cfg',
    );
  });

  test('a truncated or unenveloped body is 400, an unknown kind 415', () => {
    const raw = Buffer.concat([bytesField(1, meta)]);
    const whole = envelope('v1', 'ConfigMap', raw);
    assert.throws(
      () => decodeProtobufObject(whole.subarray(0, whole.length - 3)),
      (e: unknown) => e instanceof KubeApiError && e.code === 400,
    );
    assert.throws(
      () => decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}')),
      (e: unknown) => e instanceof KubeApiError && e.code === 400,
    );
    assert.throws(
      () => decodeProtobufObject(envelope('v1', 'Node', raw)),
      (e: unknown) => e instanceof KubeApiError && e.code === 415,
    );
  });
});
