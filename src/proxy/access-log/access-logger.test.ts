import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { StreamInfo } from '../http/stream-info.js';
import { defaultAccessLogFormat } from './access-log-format.js';
import { createAccessLogger } from './access-logger.js';
import { MemoryLogSink } from './log-sink.js';
import { fixedWallMs, refusedAfterRetries, refusedBody, typicalRequest } from './stream-info-fixture.js';

describe('default access log format', () => {
  it("is Envoy's DEFAULT_FORMAT byte for byte, ending in a newline", () => {
    assert.equal(
      defaultAccessLogFormat,
      '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% ' +
        '%RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% ' +
        '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" ' +
        '"%UPSTREAM_HOST%"\n',
    );
  });

  const cases: Array<{ name: string; info: StreamInfo; line: string }> = [
    {
      name: 'a proxied request',
      info: typicalRequest(),
      line:
        '[2018-04-03T23:06:09.123Z] "GET /reviews/1?page=2 HTTP/1.1" 200 - 0 42 15 12 "10.0.0.9" ' +
        '"curl/8.5.0" "c0ffee00-0000-4000-8000-000000000001" "reviews.default:8080" "10.1.2.3:8080"\n',
    },
    {
      name: 'a local reply after every attempt was refused (UF,URX)',
      info: refusedAfterRetries(),
      line:
        `[2018-04-03T23:06:09.123Z] "POST /pay HTTP/2" 503 UF,URX 12 ${refusedBody.length} 31 - "-" ` +
        '"Go-http-client/2.0" "req-2" "payments.default" "10.1.2.4:9000"\n',
    },
    {
      name: 'a request that never got a response or an upstream host',
      info: ((): StreamInfo => {
        const info = new StreamInfo(fixedWallMs + 877, 0, 'HTTP/1.0');
        info.requestHeaders = new Map([
          [':method', 'GET'],
          [':path', '/'],
        ]);
        return info;
      })(),
      line: '[2018-04-03T23:06:10.000Z] "GET / HTTP/1.0" 0 - 0 0 - - "-" "-" "-" "-" "-"\n',
    },
  ];
  for (const c of cases) {
    it(`renders ${c.name} exactly as Envoy does`, () => {
      const sink = new MemoryLogSink();
      const logger = createAccessLogger(
        { name: 'default', sink: { kind: 'stdout' }, format: undefined },
        { sink },
      );
      logger.log(c.info);
      assert.deepEqual(sink.records, [c.line]);
    });
  }

  it('prefers x-envoy-original-path over :path', () => {
    const sink = new MemoryLogSink();
    const logger = createAccessLogger(
      { name: 'default', sink: { kind: 'stdout' }, format: undefined },
      { sink },
    );
    const info = typicalRequest();
    info.requestHeaders.set('x-envoy-original-path', '/original');
    logger.log(info);
    assert.match(sink.records[0] ?? '', /"GET \/original HTTP\/1\.1"/);
  });
});

describe('createAccessLogger', () => {
  it('rejects an unknown operator when the logger is created, naming the operator', () => {
    assert.throws(
      () =>
        createAccessLogger({
          name: 'bad',
          sink: { kind: 'stdout' },
          format: { kind: 'text', template: '%RESPONSE_CODE% %NOT_AN_OPERATOR%\n' },
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.code === ErrorCode.configInvalid &&
        err.message.includes('%NOT_AN_OPERATOR%') &&
        err.location.path === 'format.text_format',
    );
  });

  it('drops records logged after close instead of throwing', async () => {
    const sink = new MemoryLogSink();
    const logger = createAccessLogger({ name: 'x', sink: { kind: 'stdout' }, format: undefined }, { sink });
    await logger.close();
    assert.doesNotThrow(() => logger.log(typicalRequest()));
    assert.deepEqual(sink.records, []);
    assert.equal(logger.droppedRecords, 1);
  });

  it('counts a render failure as a dropped record instead of throwing into the request path', () => {
    const sink = new MemoryLogSink();
    const logger = createAccessLogger(
      { name: 'x', sink: { kind: 'stdout' }, format: { kind: 'text', template: '%UPSTREAM_HOST%\n' } },
      { sink },
    );
    const broken = typicalRequest();
    Object.defineProperty(broken, 'upstreamHost', {
      get: () => {
        throw new Error('broken');
      },
    });
    assert.doesNotThrow(() => logger.log(broken));
    assert.equal(logger.droppedRecords, 1);
    assert.deepEqual(sink.records, []);
  });
});

describe('file sink', () => {
  it('appends one line per request to the file, after what was already there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spillway-access-log-'));
    try {
      const path = join(dir, 'access.log');
      await writeFile(path, 'existing line\n');
      const logger = createAccessLogger({
        name: 'file',
        sink: { kind: 'file', path },
        format: { kind: 'text', template: '%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS%\n' },
      });
      logger.log(typicalRequest());
      logger.log(refusedAfterRetries());
      await logger.close();
      assert.equal(await readFile(path, 'utf8'), 'existing line\nGET 200 -\nPOST 503 UF,URX\n');
      assert.equal(logger.droppedRecords, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes JSON records one object per line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spillway-access-log-'));
    try {
      const path = join(dir, 'access.json');
      const logger = createAccessLogger({
        name: 'json',
        sink: { kind: 'file', path },
        format: { kind: 'json', fields: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } },
      });
      logger.log(typicalRequest());
      logger.log(refusedAfterRetries());
      await logger.close();
      assert.equal(await readFile(path, 'utf8'), '{"code":200,"flags":"-"}\n{"code":503,"flags":"UF,URX"}\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts records it could not write to an unwritable path and never throws', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spillway-access-log-'));
    try {
      const logger = createAccessLogger({
        name: 'broken',
        sink: { kind: 'file', path: join(dir, 'missing-dir', 'access.log') },
        format: undefined,
      });
      assert.doesNotThrow(() => logger.log(typicalRequest()));
      assert.doesNotThrow(() => logger.log(typicalRequest()));
      await logger.close();
      assert.doesNotThrow(() => logger.log(typicalRequest()));
      assert.equal(logger.droppedRecords, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
