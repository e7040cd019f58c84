/**
 * `npm run demo` (= `spillway demo`) is the first thing a newcomer runs: it must run end to end and
 * show the failover it promises. Its numbers are measured from real traffic, so they are checked here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSpillway } from '../support/spawn-spillway.js';

interface Step {
  title: string;
  requests: number;
  errors: number;
  byZone: Record<string, number>;
  ejected: string[];
}

test('spillway demo --json walks through zone, region and cross-region failover and back without client errors', async () => {
  const run = spawnSpillway(['demo', '--json'], { SPILLWAY_LOG_LEVEL: 'warn' });
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
