import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readLabState, resolveStateDir, writeLabState, type LabState } from './lab-state.js';

const dir = mkdtempSync(join(tmpdir(), 'spillway-lab-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function state(stateDir: string): LabState {
  return {
    version: 1,
    phase: 'ready',
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    topology: { name: 'small', addressBase: 90 },
    supervisor: { pid: 12345, log: 'x.log', startedAt: '2026-01-01T00:00:00.000Z' },
    clusters: [],
    meshes: [],
    processes: [
      {
        name: 'c1/apiserver',
        kind: 'apiserver',
        pid: 12346,
        command: ['node'],
        log: 'a.log',
        phase: 'running',
        restarts: 0,
      },
    ],
    warnings: [],
  };
}

describe('lab.json', () => {
  test('round-trips what the supervisor writes', () => {
    const d = join(dir, 'round-trip');
    writeLabState(state(d));
    assert.deepEqual(readLabState(d), state(d));
  });

  test('is absent in a fresh state directory', () => {
    assert.equal(readLabState(join(dir, 'fresh')), undefined);
  });

  test('that cannot be trusted is an error naming the file, not a guess', () => {
    const d = join(dir, 'bad');
    const cases: Array<[string, RegExp]> = [
      ['{', /lab\.json: not JSON/],
      ['{"version": 2}', /not a version 1 lab state/],
      [JSON.stringify({ ...state(d), processes: [{ name: 'x' }] }), /processes\[0\] has no name and pid/],
      [JSON.stringify({ ...state(d), supervisor: {} }), /supervisor\.pid missing/],
    ];
    for (const [text, error] of cases) {
      writeLabState(state(d));
      writeFileSync(join(d, 'lab.json'), text);
      assert.throws(
        () => readLabState(d),
        (err: Error & { code?: string }) =>
          err.code === 'SPILLWAY_ERR_LAB_STATE_INVALID' && error.test(err.message),
      );
    }
  });

  test('lives in --state-dir, else $SPILLWAY_LAB_DIR, else ~/.spillway/lab', () => {
    assert.equal(resolveStateDir('/a/b', { SPILLWAY_LAB_DIR: '/c' }), '/a/b');
    assert.equal(resolveStateDir(undefined, { SPILLWAY_LAB_DIR: '/c' }), '/c');
    assert.equal(resolveStateDir(undefined, {}), join(homedir(), '.spillway', 'lab'));
  });
});
