/**
 * `spillway lab prometheus` without a lab or without the binary: clear errors, exit 1, nothing
 * started; --help lists its flags.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnSpillway } from '../support/spawn-spillway.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spillway-lab-prom-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const r = spawnSpillway(['lab', 'prometheus', ...args], { HOME: dir, ...env });
  const code = await r.exited;
  return { code, out: r.stdout(), err: r.stderr() };
}

test('--help lists the flags and says lab down stops it', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--port', '--scrape-interval', '--evaluation-interval', '--json', '--state-dir'])
    assert.ok(r.out.includes(flag), flag);
  assert.match(r.out, /spillway lab down' stops it/);
});

test("a missing prometheus binary names Debian's package", async () => {
  const r = await run(['--state-dir', join(dir, 'state')], {
    SPILLWAY_PROMETHEUS: join(dir, 'no-such-binary'),
  });
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^spillway lab prometheus: the 'prometheus' binary is not on PATH: install Debian's package 'prometheus'/,
  );
  assert.match(r.err, /\[SPILLWAY_ERR_LAB_PROMETHEUS_FAILED\]$/m);
});

test('without a running lab it says how to start one; bad flags are named', async () => {
  const none = await run(['--state-dir', join(dir, 'state')]);
  assert.equal(none.code, 1);
  assert.match(none.err, /no lab runs from .*state \(start one with: spillway lab up --detach\)/);
  const bad = await run(['--scrape-interval', '1.5s', '--state-dir', join(dir, 'state')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--scrape-interval must be a Prometheus duration .* got '1\.5s'/);
  const port = await run(['--port', 'x', '--state-dir', join(dir, 'state')]);
  assert.match(port.err, /--port must be 1\.\.65535, got 'x'/);
});
