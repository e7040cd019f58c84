import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { JsonAccessLogFormat } from './json-format.js';
import { refusedAfterRetries, typicalRequest } from './stream-info-fixture.js';

describe('json_format access logs', () => {
  const fields = {
    status: '%RESPONSE_CODE%',
    duration: '%DURATION%',
    took: '%DURATION%ms',
    upstream: '%UPSTREAM_HOST%',
    flags: '%RESPONSE_FLAGS%',
    method: '%REQ(:METHOD)%',
    missing: '%REQ(X-NOPE)%',
    pair: '%REQ(X-NOPE)% %PROTOCOL%',
    start: '%START_TIME%',
    port: '%DOWNSTREAM_REMOTE_PORT%',
    env: '%ENVIRONMENT(SPILLWAY_TEST_NEVER_SET)%',
    version: 'v1',
    weight: 7.5,
    isMesh: true,
    nothing: null,
    nested: { z: '%BYTES_SENT%', a: 'x', Z: 1 },
    list: ['%PROTOCOL%', 1, '%REQ(X-NOPE)%'],
  };

  it('renders one compact object per line with keys sorted at every level', () => {
    const line = new JsonAccessLogFormat(fields).format(typicalRequest());
    assert.equal(
      line,
      '{"duration":15,"env":"-","flags":"-","isMesh":true,"list":["HTTP/1.1",1,null],"method":"GET",' +
        '"missing":null,"nested":{"Z":1,"a":"x","z":42},"nothing":null,"pair":"- HTTP/1.1","port":51234,' +
        '"start":"2018-04-03T23:06:09.123Z","status":200,"took":"15ms","upstream":"10.1.2.3:8080",' +
        '"version":"v1","weight":7.5}\n',
    );
  });

  it('keeps operator types: numbers are numbers, unavailable values are null, strings stay strings', () => {
    const record: unknown = JSON.parse(new JsonAccessLogFormat(fields).format(refusedAfterRetries()));
    assert.deepEqual(record, {
      duration: 31,
      env: '-',
      flags: 'UF,URX',
      isMesh: true,
      list: ['HTTP/2', 1, null],
      method: 'POST',
      missing: null,
      nested: { Z: 1, a: 'x', z: refusedAfterRetries().bytesSent },
      nothing: null,
      pair: '- HTTP/2',
      port: 51235,
      start: '2018-04-03T23:06:09.123Z',
      status: 503,
      took: '31ms',
      upstream: '10.1.2.4:9000',
      version: 'v1',
      weight: 7.5,
    });
  });

  it('escapes quotes, backslashes and control characters in values', () => {
    const info = typicalRequest();
    info.requestHeaders.set('user-agent', 'a "quoted"\\agent\n\u0001é');
    assert.equal(
      new JsonAccessLogFormat({ ua: '%REQ(USER-AGENT)%' }).format(info),
      '{"ua":"a \\"quoted\\"\\\\agent\\n\\u0001é"}\n',
    );
  });

  it('treats "%%" in a value as a literal percent sign', () => {
    assert.equal(new JsonAccessLogFormat({ p: '100%%' }).format(typicalRequest()), '{"p":"100%"}\n');
  });

  it('rejects an unknown operator and names the JSON path', () => {
    assert.throws(
      () => new JsonAccessLogFormat({ outer: { inner: '%NOPE%' } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.code === ErrorCode.configInvalid &&
        err.message.includes('%NOPE%') &&
        err.location.path === 'json_format.outer.inner',
    );
  });

  it('rejects values that are not JSON data', () => {
    assert.throws(
      () => new JsonAccessLogFormat({ when: new Date(0) }),
      (err: unknown) => err instanceof ConfigError && err.code === ErrorCode.configWrongType,
    );
  });
});
