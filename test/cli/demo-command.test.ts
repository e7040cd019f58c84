/**
 * `npm run demo` (= `spillway demo`) is the first thing a newcomer runs. The lab drill itself runs
 * end to end in test/lab/lab-demo.test.ts (on a small topology of its own addresses); here: its
 * command line, the topologies it refuses before starting anything, and the lab-free
 * `--proxy-only` walk through the data plane, whose numbers are measured from real traffic.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSpillway } from '../support/spawn-spillway.js';

interface Step {
  title: string;
  requests: number;
  errors: number;
  byZone: Record<string, number>;
  ejected: string[];
}

test('spillway demo --help names the lab drill and its flags', async () => {
  const run = spawnSpillway(['demo', '--help']);
  assert.equal(await run.exited, 0, run.stderr());
  for (const flag of ['--json', '--keep', '--state-dir', '--file', '--proxy-only'])
    assert.ok(run.stdout().includes(flag), flag);
  assert.match(run.stdout(), /disaster-recovery drill/);
});

test('spillway demo refuses a topology it cannot drill, and a missing file, before starting a lab', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spillway-demo-cli-'));
  try {
    const file = join(dir, 'one-zone.yaml');
    await writeFile(
      file,
      'apiVersion: spillway.io/v1alpha1\nkind: LabTopology\nmetadata: { name: small }\nspec:\n  addressBase: 62\n' +
        '  regions: [{ name: r1, zones: [z1] }]\n  clusters: [{ name: c1, region: r1 }]\n' +
        '  meshes: [{ name: m1, region: r1, configCluster: c1 }]\n',
    );
    const state = join(dir, 'lab');
    const refused = spawnSpillway(['demo', '-f', file, '--state-dir', state]);
    assert.equal(await refused.exited, 1);
    assert.match(
      refused.stderr(),
      /spillway demo: .*one-zone\.yaml: spec\.clusters: the demo needs a cluster with at least two zones.*\[SPILLWAY_ERR_DEMO_TOPOLOGY_UNSUPPORTED\]/,
    );
    const missing = spawnSpillway(['demo', '-f', join(dir, 'nope.yaml'), '--state-dir', state]);
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr(), /nope\.yaml/);
    const mixed = spawnSpillway(['demo', '--proxy-only', '--keep']);
    assert.equal(await mixed.exited, 1);
    assert.match(mixed.stderr(), /--proxy-only runs no lab; it takes only --json \(not --keep\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('spillway demo --proxy-only --json walks through zone, region and cross-region failover and back without client errors', async () => {
  const run = spawnSpillway(['demo', '--proxy-only', '--json'], { SPILLWAY_LOG_LEVEL: 'warn' });
  const code = await run.exited;
  assert.equal(code, 0, run.stderr());
  const report = JSON.parse(run.stdout()) as { steps: Step[] };
  const [healthy, oneDown, zoneDown, regionDown, healed] = report.steps;
  assert.deepEqual(healthy?.byZone, { 'cn-hangzhou-h': 200 });
  const spill = oneDown?.byZone['cn-hangzhou-k'] ?? 0;
  assert.ok(spill >= 40 && spill <= 80, `about 30 % spills to the other zone, got ${spill}/200`);
  assert.deepEqual(oneDown?.ejected, ['127.0.1.1:8000']);
  assert.deepEqual(zoneDown?.byZone, { 'cn-hangzhou-k': 200 });
  assert.deepEqual(regionDown?.byZone, { 'ap-northeast-1a': 200 });
  assert.deepEqual(healed?.byZone, { 'cn-hangzhou-h': 200 });
  // The caller's zone is back; endpoints ejected later (the other zone) may still wait out their time.
  assert.ok(!healed?.ejected.includes('127.0.1.1:8000') && !healed?.ejected.includes('127.0.1.2:8000'));
  for (const step of report.steps) assert.equal(step.errors, 0, `${step.title}: client errors`);
});
