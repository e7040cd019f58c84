/**
 * `spillway apiserver` as its own process: a write acknowledged to kubectl survives SIGKILL (same
 * object, same resourceVersion, same token), and a damaged data file stops the start with a clear
 * error instead of an empty cluster.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCommand } from '../support/run-command.js';
import { waitFor } from '../support/wait-for.js';
import { spawnSpillway, spillwayBin, type RunningCommand } from '../support/spawn-spillway.js';

type ServerProcess = RunningCommand;

function spawnApiServer(dataDir: string, kubeconfig: string): ServerProcess {
  return spawnSpillway(
    [
      'apiserver',
      '--data-dir',
      dataDir,
      '--address',
      '127.31.0.3',
      '--port',
      '0',
      '--cluster-name',
      'dur',
      '--write-kubeconfig',
      kubeconfig,
    ],
    { SPILLWAY_LOG_LEVEL: 'warn' },
  );
}

describe('spillway apiserver durability', () => {
  let dir: string;
  let dataDir: string;
  let kubeconfig: string;
  const running: ServerProcess[] = [];

  const start = async (): Promise<ServerProcess> => {
    const server = spawnApiServer(dataDir, kubeconfig);
    running.push(server);
    await waitFor(
      'the apiserver to listen',
      () => /listening on https:\/\/127\.31\.0\.3:\d+/.test(server.stdout()),
      {
        timeoutMs: 15_000,
      },
    );
    return server;
  };
  const kubectl = (args: readonly string[], input?: string) =>
    runCommand('kubectl', args, {
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir },
      ...(input !== undefined ? { input } : {}),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-durability-'));
    dataDir = join(dir, 'data');
    kubeconfig = join(dir, 'kubeconfig');
  });

  after(async () => {
    for (const server of running) await server.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('an object applied right before SIGKILL is served after a restart with the same resourceVersion', async () => {
    const first = await start();
    const token = readFileSync(kubeconfig, 'utf8').match(/token: (\S+)/)?.[1];
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'precious' },
      data: { a: '1' },
    });
    const applied = await kubectl(['apply', '-f', '-', '-o', 'json'], manifest);
    assert.equal(applied.code, 0, applied.stderr);
    // Killed the moment kubectl has its answer: nothing may be left in a buffer.
    await first.kill();
    const before = JSON.parse(applied.stdout) as { metadata: { resourceVersion: string; uid: string } };

    await start();
    assert.equal(
      readFileSync(kubeconfig, 'utf8').match(/token: (\S+)/)?.[1],
      token,
      'the token survives restarts',
    );
    const got = await kubectl(['get', 'configmap', 'precious', '-o', 'json']);
    assert.equal(got.code, 0, got.stderr);
    const after = JSON.parse(got.stdout) as {
      metadata: { resourceVersion: string; uid: string };
      data: unknown;
    };
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.deepEqual(after.data, { a: '1' });
    // The next write continues the sequence instead of reusing a resourceVersion.
    const next = await kubectl(
      ['create', '-f', '-', '-o', 'json'],
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } }),
    );
    const nextRv = Number(
      (JSON.parse(next.stdout) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
    );
    assert.ok(nextRv > Number(after.metadata.resourceVersion));
  });

  test('a torn last record (a crash mid-write) is dropped with a warning and the server starts', async () => {
    for (const server of running) await server.kill();
    appendFileSync(join(dataDir, 'objects.log'), '0badc0de {"rv":99999,"op":"put","resou');
    const server = await start();
    await waitFor('the warning', () => server.stderr().includes('torn last record'));
    const got = await kubectl(['get', 'configmap', 'precious', '-o', 'name']);
    assert.equal(got.stdout.trim(), 'configmap/precious');
  });

  test('a damaged record in the middle of the log refuses to start, naming the file', async () => {
    for (const server of running) await server.kill();
    const log = join(dataDir, 'objects.log');
    const text = readFileSync(log, 'utf8');
    assert.ok(text.split('\n').length > 2, 'the log holds several records');
    writeFileSync(log, text.replace('"precious"', '"precioux"'));
    const server = spawnApiServer(dataDir, kubeconfig);
    running.push(server);
    assert.equal(await server.exited, 1);
    assert.match(
      server.stderr(),
      /objects\.log: record at line \d+ is damaged .*refusing to start.*\[SPILLWAY_ERR_KUBE_DATA_CORRUPT\]/,
    );
    assert.doesNotMatch(server.stdout(), /listening/);
  });
});

describe('spillway apiserver lifecycle', () => {
  test('--help describes the flags', async () => {
    const r = await runCommand(process.execPath, [spillwayBin, 'apiserver', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--address', '--port', '--data-dir', '--cluster-name', '--write-kubeconfig']) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });

  test('SIGTERM shuts down cleanly: exit 0, state compacted into a snapshot, lock released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spillway-sigterm-'));
    try {
      const server = spawnApiServer(join(dir, 'data'), join(dir, 'kubeconfig'));
      try {
        await waitFor('listening', () => server.stdout().includes('listening on https://127.31.0.3:'), {
          timeoutMs: 15_000,
        });
        server.child.kill('SIGTERM');
        assert.equal(await server.exited, 0);
      } finally {
        await server.kill();
      }
      const snapshot = readFileSync(join(dir, 'data', 'snapshot.json'), 'utf8');
      assert.match(snapshot, /"name":"kube-system"/);
      assert.equal(readFileSync(join(dir, 'data', 'objects.log'), 'utf8'), '');
      assert.throws(() => readFileSync(join(dir, 'data', 'lock')), /ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
