import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JsonLinesFileEventSink } from './json-lines-event-sink.js';
import type { OutlierEvent } from './outlier-event.js';

const event = (num: number): OutlierEvent => ({
  type: 'CONSECUTIVE_5XX',
  cluster_name: 'c1',
  upstream_url: '127.0.0.1:80',
  action: 'EJECT',
  num_ejections: num,
  enforced: true,
  eject_consecutive_event: {},
  timestamp: '2026-01-01T00:00:02Z',
});

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'spillway-outlier-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('appends one JSON line per event after existing content', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'outlier.log');
    await writeFile(path, 'earlier\n');
    const sink = await JsonLinesFileEventSink.open(path);
    sink.write(event(1));
    sink.write(event(2));
    await sink.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.deepEqual(lines, [
      'earlier',
      '{"type":"CONSECUTIVE_5XX","cluster_name":"c1","upstream_url":"127.0.0.1:80","action":"EJECT",' +
        '"num_ejections":1,"enforced":true,"eject_consecutive_event":{},"timestamp":"2026-01-01T00:00:02Z"}',
      '{"type":"CONSECUTIVE_5XX","cluster_name":"c1","upstream_url":"127.0.0.1:80","action":"EJECT",' +
        '"num_ejections":2,"enforced":true,"eject_consecutive_event":{},"timestamp":"2026-01-01T00:00:02Z"}',
      '',
    ]);
    assert.equal(sink.dropped, 0);
  });
});

test('open() rejects a path that cannot be opened', async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(JsonLinesFileEventSink.open(join(dir, 'missing', 'outlier.log')), {
      code: 'ENOENT',
    });
  });
});

test('never throws on write, before or after the file fails, and counts dropped events', async () => {
  await withTempDir(async (dir) => {
    const sink = new JsonLinesFileEventSink(join(dir, 'missing', 'outlier.log'));
    assert.doesNotThrow(() => sink.write(event(1)));
    // The open error arrives asynchronously: poll (bounded), giving I/O a turn between checks.
    for (let turns = 0; sink.lastError === undefined && turns < 100_000; turns++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.equal(sink.lastError?.message.includes('ENOENT'), true);
    assert.doesNotThrow(() => sink.write(event(2)));
    assert.equal(sink.dropped, 1);
    await sink.close();
    await sink.close();
  });
});

test('events written after close are dropped, not thrown', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'outlier.log');
    const sink = await JsonLinesFileEventSink.open(path);
    await sink.close();
    assert.doesNotThrow(() => sink.write(event(1)));
    assert.equal(sink.dropped, 1);
    assert.equal(await readFile(path, 'utf8'), '');
  });
});
