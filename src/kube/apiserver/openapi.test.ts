import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApiV2Document, openApiV2Protobuf } from './openapi.js';

/** Reads the top-level length-delimited fields of a protobuf message (all fields here are short). */
function fields(buf: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i] ?? 0;
    const length = buf[i + 1] ?? 0;
    assert.equal(tag & 7, 2, 'wire type 2');
    assert.ok(length < 0x80, 'one-byte length');
    out.push([tag >> 3, buf.subarray(i + 2, i + 2 + length)]);
    i += 2 + length;
  }
  assert.equal(i, buf.length, 'no trailing bytes');
  return out;
}

test('/openapi/v2 as protobuf is a Swagger 2.0 openapi_v2.Document with empty paths and definitions', () => {
  const top = fields(openApiV2Protobuf());
  assert.deepEqual(
    top.map(([n]) => n),
    [1, 2, 8, 9],
  );
  assert.equal(top[0]?.[1].toString(), '2.0');
  const info = fields(top[1]?.[1] ?? Buffer.alloc(0));
  assert.deepEqual(
    info.map(([n, v]) => [n, v.toString()]),
    [
      [1, 'Kubernetes (spillway lab)'],
      [2, 'v1.32.0'],
    ],
  );
  assert.equal(top[2]?.[1].length, 0);
  assert.equal(top[3]?.[1].length, 0);
});

test('/openapi/v2 as JSON has no definitions, so kubectl skips client-side schema validation', () => {
  assert.deepEqual(openApiV2Document(), {
    swagger: '2.0',
    info: { title: 'Kubernetes (spillway lab)', version: 'v1.32.0' },
    paths: {},
    definitions: {},
  });
});
