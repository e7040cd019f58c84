import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequestHead } from './head-parser.js';
import { toRequestHeaders } from './request-headers.js';

function map(lines: string[]) {
  const head = parseRequestHead(lines.join('\r\n'), { maxHeadersBytes: 65536, maxHeadersCount: 100 });
  assert.ok(head.kind === 'request', JSON.stringify(head));
  return toRequestHeaders(head);
}

describe('request head -> HeaderMap', () => {
  test('pseudo-headers come first, Host becomes :authority, repeats are joined with ", "', () => {
    const r = map(['GET /p?q HTTP/1.1', 'Accept: a', 'Host: h:8', 'accept: b']);
    assert.ok(r.kind === 'headers');
    assert.deepEqual(
      [...r.headers],
      [
        [':method', 'GET'],
        [':path', '/p?q'],
        [':scheme', 'http'],
        [':authority', 'h:8'],
        ['accept', 'a, b'],
      ],
    );
    assert.equal(r.isUpgrade, false);
  });

  test('an absolute-form target replaces Host and sets the scheme (allow_absolute_url)', () => {
    const r = map(['GET https://example.com:8443?x=1 HTTP/1.1', 'host: ignored']);
    assert.ok(r.kind === 'headers');
    assert.equal(r.headers.get(':authority'), 'example.com:8443');
    assert.equal(r.headers.get(':scheme'), 'https');
    assert.equal(r.headers.get(':path'), '/?x=1');
  });

  test('OPTIONS * is kept; CONNECT names its authority and is an upgrade', () => {
    const options = map(['OPTIONS * HTTP/1.1', 'host: h']);
    assert.ok(options.kind === 'headers');
    assert.equal(options.headers.get(':path'), '*');
    const connect = map(['CONNECT db:5432 HTTP/1.1', 'host: db:5432']);
    assert.ok(connect.kind === 'headers');
    assert.equal(connect.isUpgrade, true);
    assert.equal(connect.headers.get(':authority'), 'db:5432');
    assert.equal(connect.headers.has(':path'), false);
  });

  test('connection: close, Expect: 100-continue (stripped) and an ignored h2c upgrade are reported', () => {
    const r = map([
      'POST / HTTP/1.1',
      'host: h',
      'connection: Upgrade, HTTP2-Settings, close',
      'upgrade: h2c',
      'http2-settings: AAMAAABkAAQAAP__',
      'expect: 100-continue',
      'content-length: 1',
    ]);
    assert.ok(r.kind === 'headers');
    assert.equal(r.isCloseRequested, true);
    assert.equal(r.isExpectContinue, true);
    assert.equal(r.isUpgrade, false);
    assert.equal(r.headers.has('expect'), false);
    assert.equal(r.headers.has('upgrade'), false);
    assert.equal(r.headers.has('http2-settings'), false);
  });

  const rejected: Array<[string[], number, string]> = [
    [['GET / HTTP/1.0', 'host: h'], 426, 'low_version'],
    [['GET / HTTP/0.9', 'host: h'], 426, 'low_version'],
    [['GET / HTTP/1.1'], 400, 'missing_host_header'],
    [['GET ftp://h/ HTTP/1.1', 'host: h'], 400, 'http1.invalid_url'],
    [['GET http://user@h/ HTTP/1.1', 'host: h'], 400, 'http1.invalid_url'],
    [['GET index.html HTTP/1.1', 'host: h'], 400, 'http1.invalid_url'],
    [['CONNECT h:1 HTTP/1.1', 'host: h', 'content-length: 2'], 400, 'http1.body_disallowed'],
    [
      ['CONNECT h:1 HTTP/1.1', 'host: h', 'transfer-encoding: chunked'],
      501,
      'http1.invalid_transfer_encoding',
    ],
  ];
  for (const [lines, status, details] of rejected) {
    test(`${JSON.stringify(lines[0])}${lines.length > 1 ? ` with ${lines.slice(1).join(', ')}` : ''} -> ${status} ${details}`, () => {
      assert.deepEqual(map(lines), { kind: 'error', status, details });
    });
  }
});
