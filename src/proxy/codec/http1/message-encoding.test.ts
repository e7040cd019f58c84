import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../core/clock.js';
import {
  BodyFraming,
  DateHeaderCache,
  encodeHeaderLines,
  encodeRequestHead,
  lastChunk,
  responseFraming,
  statusLine,
} from './message-encoding.js';

const framingNames = ['none', 'length', 'chunked', 'until-close'];

describe('HTTP/1.1 message encoding', () => {
  test('status lines carry the standard reason phrase', () => {
    assert.equal(statusLine(200), 'HTTP/1.1 200 OK\r\n');
    assert.equal(statusLine(503), 'HTTP/1.1 503 Service Unavailable\r\n');
    assert.equal(statusLine(599), 'HTTP/1.1 599 Unknown\r\n');
  });

  test('header lines keep order, repeat arrays and drop framing headers the codec owns', () => {
    const lines = encodeHeaderLines({
      'set-cookie': ['a=1', 'b=2'],
      'content-length': 3,
      'transfer-encoding': 'chunked',
      connection: 'keep-alive',
      date: 'x',
    });
    assert.equal(lines.text, 'set-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 3\r\ndate: x\r\n');
    assert.equal(lines.hasLength, true);
    assert.equal(lines.hasDate, true);
  });

  // [status, has content-length, end with headers, HEAD request] -> framing, extra header (Envoy encodeHeadersBase)
  const framing: Array<[number, boolean, boolean, boolean, BodyFraming, string]> = [
    [200, true, false, false, BodyFraming.Length, ''],
    [200, false, false, false, BodyFraming.Chunked, 'transfer-encoding: chunked\r\n'],
    [200, false, true, false, BodyFraming.None, 'content-length: 0\r\n'],
    [304, false, true, false, BodyFraming.None, ''],
    [204, false, false, false, BodyFraming.None, ''],
    [101, false, false, false, BodyFraming.None, ''],
    [200, false, true, true, BodyFraming.None, ''],
    [200, false, false, true, BodyFraming.None, 'transfer-encoding: chunked\r\n'],
    [200, true, false, true, BodyFraming.None, ''],
  ];
  for (const [status, hasLength, endStream, isHead, expected, extra] of framing) {
    test(`a ${status} response (length ${hasLength}, ends ${endStream}, HEAD ${isHead}) is framed ${framingNames[expected]}`, () => {
      assert.deepEqual(responseFraming(status, hasLength, endStream, isHead), {
        framing: expected,
        extraHeader: extra,
      });
    });
  }

  test('requests: GET without body has no length, POST without body gets content-length: 0, bodies are chunked unless sized', () => {
    assert.deepEqual(encodeRequestHead('GET', '/p', 'h', { 'x-a': '1' }, false), {
      text: 'GET /p HTTP/1.1\r\nhost: h\r\nx-a: 1\r\n\r\n',
      framing: BodyFraming.None,
    });
    assert.equal(
      encodeRequestHead('POST', '/', 'h', {}, false).text,
      'POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n',
    );
    assert.deepEqual(encodeRequestHead('POST', '/', 'h', {}, true), {
      text: 'POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n',
      framing: BodyFraming.Chunked,
    });
    assert.equal(
      encodeRequestHead('PUT', '/', 'h', { 'content-length': '4' }, true).framing,
      BodyFraming.Length,
    );
  });

  test('the last chunk carries trailers', () => {
    assert.equal(lastChunk(undefined), '0\r\n\r\n');
    assert.equal(lastChunk({ 'grpc-status': '0' }), '0\r\ngrpc-status: 0\r\n\r\n');
  });

  test('the date header is formatted once per second of the injected clock', () => {
    const clock = new FakeClock(0, Date.UTC(2026, 10, 25, 12, 0, 0, 100));
    const cache = new DateHeaderCache(clock);
    assert.equal(cache.value(), 'Wed, 25 Nov 2026 12:00:00 GMT');
    clock.advance(899);
    assert.equal(cache.value(), 'Wed, 25 Nov 2026 12:00:00 GMT');
    clock.advance(1);
    assert.equal(cache.value(), 'Wed, 25 Nov 2026 12:00:01 GMT');
  });
});
