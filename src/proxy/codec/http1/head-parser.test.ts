import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequestHead, parseResponseHead, type HeadLimits } from './head-parser.js';

const limits: HeadLimits = { maxHeadersBytes: 60 * 1024, maxHeadersCount: 100 };

/** The head text as the connection hands it over: without the final CRLF CRLF. */
function head(lines: string[]): string {
  return lines.join('\r\n');
}

describe('request heads', () => {
  test('parses method, target, version and ordered lower-cased headers with OWS trimmed', () => {
    const parsed = parseRequestHead(
      head(['GET /a?b=1 HTTP/1.1', 'Host: example', 'X-Two:  a b \t', 'x-empty:', 'X-Two: c']),
      limits,
    );
    assert.equal(parsed.kind, 'request');
    if (parsed.kind !== 'request') return;
    assert.equal(parsed.method, 'GET');
    assert.equal(parsed.target, '/a?b=1');
    assert.equal(parsed.isHttp11, true);
    assert.deepEqual(parsed.headers, ['host', 'example', 'x-two', 'a b', 'x-empty', '', 'x-two', 'c']);
    assert.equal(parsed.contentLength, -1);
    assert.equal(parsed.isChunked, false);
  });

  test('reads framing and connection-management headers', () => {
    const parsed = parseRequestHead(
      head([
        'POST / HTTP/1.1',
        'host: a',
        'Transfer-Encoding: Chunked',
        'connection: close',
        'expect: 100-continue',
      ]),
      limits,
    );
    assert.ok(parsed.kind === 'request');
    assert.equal(parsed.isChunked, true);
    assert.equal(parsed.connection, 'close');
    assert.equal(parsed.expect, '100-continue');
  });

  test('accepts a repeated identical Content-Length', () => {
    const parsed = parseRequestHead(
      head(['POST / HTTP/1.1', 'content-length: 5', 'Content-Length: 5']),
      limits,
    );
    assert.ok(parsed.kind === 'request');
    assert.equal(parsed.contentLength, 5);
  });

  test('marks versions other than 1.1 (the connection answers them with 426)', () => {
    const parsed = parseRequestHead(head(['GET / HTTP/1.0', 'host: a']), limits);
    assert.ok(parsed.kind === 'request');
    assert.equal(parsed.isHttp11, false);
  });

  const rejected: Array<[string, string[], number, string]> = [
    ['not HTTP at all', ['THIS IS NOT HTTP'], 400, 'http1.codec_error'],
    ['a lower-case version', ['GET / http/1.1'], 400, 'http1.codec_error'],
    ['a version with letters', ['GET / HTTP/1.x'], 400, 'http1.codec_error'],
    ['two spaces in the request line', ['GET  / HTTP/1.1'], 400, 'http1.codec_error'],
    ['a control character in the target', ['GET /a\x01b HTTP/1.1'], 400, 'http1.codec_error'],
    ['a method with a separator', ['GE(T / HTTP/1.1'], 400, 'http1.codec_error'],
    ['whitespace before the colon', ['GET / HTTP/1.1', 'host : a'], 400, 'http1.codec_error'],
    ['a header line without a colon', ['GET / HTTP/1.1', 'host a'], 400, 'http1.codec_error'],
    ['an empty header name', ['GET / HTTP/1.1', ': a'], 400, 'http1.codec_error'],
    ['obs-fold', ['GET / HTTP/1.1', 'x-a: 1', ' continued'], 400, 'http1.codec_error'],
    ['NUL in a value', ['GET / HTTP/1.1', 'x-a: a\x00b'], 400, 'http1.invalid_characters'],
    ['a bare LF in a value', ['GET / HTTP/1.1', 'x-a: a\nx-b: c'], 400, 'http1.invalid_characters'],
    ['DEL in a value', ['GET / HTTP/1.1', 'x-a: a\x7fb'], 400, 'http1.invalid_characters'],
    [
      'Content-Length with Transfer-Encoding (smuggling)',
      ['POST / HTTP/1.1', 'content-length: 4', 'transfer-encoding: chunked'],
      400,
      'http1.content_length_and_chunked_not_allowed',
    ],
    [
      'Transfer-Encoding before Content-Length',
      ['POST / HTTP/1.1', 'transfer-encoding: chunked', 'content-length: 4'],
      400,
      'http1.content_length_and_chunked_not_allowed',
    ],
    [
      'differing Content-Lengths',
      ['POST / HTTP/1.1', 'content-length: 4', 'content-length: 5'],
      400,
      'http1.codec_error',
    ],
    ['a Content-Length list', ['POST / HTTP/1.1', 'content-length: 4, 4'], 400, 'http1.codec_error'],
    ['a negative Content-Length', ['POST / HTTP/1.1', 'content-length: -1'], 400, 'http1.codec_error'],
    [
      'a huge Content-Length',
      ['POST / HTTP/1.1', 'content-length: 1234567890123456'],
      400,
      'http1.codec_error',
    ],
    [
      'gzip transfer coding',
      ['POST / HTTP/1.1', 'transfer-encoding: gzip'],
      501,
      'http1.invalid_transfer_encoding',
    ],
    [
      'chunked applied twice',
      ['POST / HTTP/1.1', 'transfer-encoding: chunked', 'transfer-encoding: chunked'],
      501,
      'http1.invalid_transfer_encoding',
    ],
    [
      'chunked, gzip',
      ['POST / HTTP/1.1', 'transfer-encoding: gzip, chunked'],
      501,
      'http1.invalid_transfer_encoding',
    ],
  ];
  for (const [what, lines, status, details] of rejected) {
    test(`rejects ${what} with ${status}`, () => {
      const parsed = parseRequestHead(head(lines), limits);
      assert.deepEqual(parsed, { kind: 'error', status, details });
    });
  }

  test('allows exactly max_headers_count headers and answers 431 to one more', () => {
    const lines = (n: number): string[] => [
      'GET / HTTP/1.1',
      ...Array.from({ length: n }, (_, i) => `h${i}: v`),
    ];
    assert.equal(parseRequestHead(head(lines(100)), limits).kind, 'request');
    assert.deepEqual(parseRequestHead(head(lines(101)), limits), {
      kind: 'error',
      status: 431,
      details: 'http1.too_many_headers',
    });
  });

  test('counts URL, names and values against max_request_headers_kb (431 one byte over)', () => {
    const small: HeadLimits = { maxHeadersBytes: 20, maxHeadersCount: 100 };
    // URL 2 + "ab" 2 + 14 bytes of value = 18 (fits); 17 bytes of value = 21 (one over).
    assert.equal(parseRequestHead(head(['GET /x HTTP/1.1', `ab: ${'v'.repeat(16)}`]), small).kind, 'request');
    assert.deepEqual(parseRequestHead(head(['GET /x HTTP/1.1', `ab: ${'v'.repeat(17)}`]), small), {
      kind: 'error',
      status: 431,
      details: 'http1.headers_too_large',
    });
  });
});

describe('response heads', () => {
  test('parses the status and headers, with or without a reason phrase', () => {
    const parsed = parseResponseHead(head(['HTTP/1.1 204 No Content', 'X-A: 1']), limits);
    assert.ok(parsed.kind === 'response');
    assert.equal(parsed.status, 204);
    assert.deepEqual(parsed.headers, ['x-a', '1']);
    const bare = parseResponseHead(head(['HTTP/1.0 200']), limits);
    assert.ok(bare.kind === 'response');
    assert.equal(bare.status, 200);
    assert.equal(bare.isHttp11, false);
  });

  for (const line of [
    'NOT-HTTP garbage',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 20x OK',
    'HTTP/1.1 099 Low',
    'HTTP/1.1  200 OK',
  ]) {
    test(`rejects the status line ${JSON.stringify(line)}`, () => {
      assert.equal(parseResponseHead(head([line]), limits).kind, 'error');
    });
  }
});
