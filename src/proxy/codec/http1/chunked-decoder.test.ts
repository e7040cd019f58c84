import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkedDecoder } from './chunked-decoder.js';

const limits = { maxHeadersBytes: 1024, maxHeadersCount: 10 };

/** Feeds `wire` in pieces of `step` bytes; returns the data, trailers, leftover and error. */
function decode(wire: string, step = wire.length) {
  const decoder = new ChunkedDecoder(limits);
  const data: Buffer[] = [];
  let leftover = '';
  const bytes = Buffer.from(wire, 'latin1');
  for (let i = 0; i < bytes.length; i += step) {
    const piece = bytes.subarray(i, Math.min(bytes.length, i + step));
    if (decoder.isDone) {
      leftover += piece.toString('latin1');
      continue;
    }
    const used = decoder.decode(piece, 0, (c) => data.push(Buffer.from(c)));
    if (used < 0) break;
    leftover += piece.subarray(used).toString('latin1');
  }
  return {
    body: Buffer.concat(data).toString('latin1'),
    isDone: decoder.isDone,
    trailers: decoder.trailers,
    error: decoder.error,
    leftover,
  };
}

describe('chunked request and response bodies', () => {
  for (const step of [1, 2, 3, 7, 1000]) {
    test(`decodes chunks, ignores extensions and parses trailers (fed ${step} bytes at a time)`, () => {
      const wire =
        '5\r\nhello\r\n6;name=value;x\r\n world\r\nA \r\n0123456789\r\n0\r\nGrpc-Status: 0\r\nx-t: a\r\n\r\nNEXT';
      const result = decode(wire, step);
      assert.equal(result.error, undefined);
      assert.equal(result.body, 'hello world0123456789');
      assert.equal(result.isDone, true);
      assert.deepEqual(result.trailers, ['grpc-status', '0', 'x-t', 'a']);
      assert.equal(result.leftover, 'NEXT', 'bytes after the body belong to the next message');
    });
  }

  test('ends without trailers at the blank line and leaves what follows', () => {
    const result = decode('3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n', 1);
    assert.equal(result.body, 'abc');
    assert.equal(result.isDone, true);
    assert.deepEqual(result.trailers, []);
    assert.equal(result.leftover, 'GET / HTTP/1.1\r\n');
  });

  test('upper-case hex sizes work', () => {
    assert.equal(decode(`1A\r\n${'x'.repeat(26)}\r\n0\r\n\r\n`).body.length, 26);
  });

  const malformed: Array<[string, string, number]> = [
    ['a size that is not hex', 'zz\r\nabc\r\n0\r\n\r\n', 400],
    ['an empty size line', '\r\nabc\r\n0\r\n\r\n', 400],
    ['a negative size', '-1\r\nabc\r\n0\r\n\r\n', 400],
    ['a size with 14 hex digits', '10000000000000\r\n', 400],
    ['data longer than its size', '2\r\nabc\r\n0\r\n\r\n', 400],
    ['a bare LF after the size', '3\nabc\r\n0\r\n\r\n', 400],
    ['a missing CRLF after the data', '3\r\nabcX\r\n0\r\n\r\n', 400],
    ['an oversized chunk extension', `3;${'e'.repeat(5000)}\r\nabc\r\n0\r\n\r\n`, 400],
    ['a malformed trailer', '0\r\nbad trailer\r\n\r\n', 400],
    ['oversized trailers', `0\r\nx: ${'v'.repeat(6000)}\r\n\r\n`, 431],
  ];
  for (const [what, wire, status] of malformed) {
    test(`rejects ${what} with ${status}`, () => {
      const result = decode(wire, 1);
      assert.equal(result.error?.status, status);
      assert.equal(result.isDone, false);
    });
  }
});
