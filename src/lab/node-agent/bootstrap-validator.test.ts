import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { BootstrapValidator } from './bootstrap-validator.js';

const dir = mkdtempSync(join(tmpdir(), 'spillway-validator-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('one worker validates several bootstraps; errors come back as ConfigErrors with their path', async () => {
  const clock = new FakeClock();
  const validator = new BootstrapValidator(clock, 1000);
  const good = join(dir, 'good.json');
  const bad = join(dir, 'bad.json');
  writeFileSync(
    good,
    JSON.stringify({ admin: { address: { socket_address: { address: '127.87.251.1', port_value: 0 } } } }),
  );
  writeFileSync(
    bad,
    JSON.stringify({ static_resources: { clusters: [{ name: 'c', type: 'STATIC', conect_timeout: '1s' }] } }),
  );
  try {
    const [config, err] = await Promise.all([
      validator.load(good),
      validator.load(bad).catch((e: unknown) => e),
    ]);
    assert.equal(config.admin?.address.address, '127.87.251.1');
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.location.file, bad);
    assert.match(err.location.path, /^static_resources\.clusters\[0\]/);
    // After the idle time the worker goes; the next request starts another one.
    clock.advance(1000);
    assert.equal((await validator.load(good)).admin?.address.port, 0);
  } finally {
    await validator.close();
  }
  await assert.rejects(validator.load(good), /closed/);
});
