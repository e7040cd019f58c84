import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { KubeObject } from '../kube-object.js';
import { KubeApiError } from '../kube-object.js';
import { ObjectStore, type StoreEvent } from './object-store.js';
import { PersistenceLog } from './persistence-log.js';

function cm(name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ObjectStore', () => {
  test('gives every write the next cluster-wide resourceVersion, across resources', () => {
    const store = new ObjectStore();
    const [a] = store.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    const [p] = store.commit([
      {
        op: 'put',
        resource: 'pods',
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } },
      },
    ]);
    const [a2] = store.commit([{ op: 'put', resource: 'configmaps', object: cm('a', { k: 'v' }) }]);
    assert.deepEqual(
      [a?.metadata.resourceVersion, p?.metadata.resourceVersion, a2?.metadata.resourceVersion],
      ['1', '2', '3'],
    );
    assert.equal(store.currentRv(), 3);
  });

  test('lists in namespace/name order and filters by namespace', () => {
    const store = new ObjectStore();
    store.commit([
      { op: 'put', resource: 'configmaps', object: cm('b') },
      { op: 'put', resource: 'configmaps', object: { ...cm('a'), metadata: { name: 'a', namespace: 'zz' } } },
      { op: 'put', resource: 'configmaps', object: cm('a') },
    ]);
    assert.deepEqual(
      store.list('configmaps', undefined).map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      ['default/a', 'default/b', 'zz/a'],
    );
    assert.equal(store.list('configmaps', 'zz').length, 1);
  });

  test('a watch from a resourceVersion replays later events in order, then streams new ones', () => {
    const store = new ObjectStore();
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('b') }]);
    store.commit([{ op: 'delete', resource: 'configmaps', namespace: 'default', name: 'a' }]);
    const seen: string[] = [];
    const handle = store.watch('configmaps', 'default', 1, (e: StoreEvent) =>
      seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`),
    );
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('b', { x: 'y' }) }]);
    handle.stop();
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('c') }]);
    assert.deepEqual(seen, ['ADDED b 2', 'DELETED a 3', 'MODIFIED b 4']);
  });

  test('a watch from a resourceVersion older than the retained history is 410 Gone (Expired)', () => {
    const store = new ObjectStore({ historyLimit: 3 });
    for (let i = 0; i < 6; i++) store.commit([{ op: 'put', resource: 'configmaps', object: cm(`c${i}`) }]);
    // Events 4..6 are retained: resuming from 3 works, from 2 does not.
    store.watch('configmaps', undefined, 3, () => {}).stop();
    assert.throws(
      () => store.watch('configmaps', undefined, 2, () => {}),
      (err: unknown) =>
        err instanceof KubeApiError &&
        err.code === 410 &&
        err.reason === 'Expired' &&
        /too old resource version: 2/.test(err.message),
    );
  });
});

describe('ObjectStore persistence', () => {
  test('a reopened store serves the same objects and resourceVersions and continues the sequence', () => {
    const dir = tempDir();
    const first = new ObjectStore({ log: new PersistenceLog(dir) });
    first.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    first.commit([{ op: 'put', resource: 'configmaps', object: cm('b') }]);
    first.commit([{ op: 'delete', resource: 'configmaps', namespace: 'default', name: 'a' }]);
    // No close(): the process "crashed"; only the fsync'd log is there.
    const second = new ObjectStore({ log: new PersistenceLog(dir) });
    assert.equal(second.get('configmaps', 'default', 'a'), undefined);
    assert.equal(second.get('configmaps', 'default', 'b')?.metadata.resourceVersion, '2');
    assert.equal(second.currentRv(), 3);
    const [c] = second.commit([{ op: 'put', resource: 'configmaps', object: cm('c') }]);
    assert.equal(c?.metadata.resourceVersion, '4');
    second.close();
  });

  test('snapshots compact the log and replay still restores everything', () => {
    const dir = tempDir();
    const store = new ObjectStore({ log: new PersistenceLog(dir), snapshotEvery: 3 });
    for (let i = 0; i < 7; i++) store.commit([{ op: 'put', resource: 'configmaps', object: cm(`c${i}`) }]);
    assert.ok(readFileSync(join(dir, 'objects.log'), 'utf8').split('\n').length <= 4);
    const reopened = new ObjectStore({ log: new PersistenceLog(dir) });
    assert.equal(reopened.list('configmaps', 'default').length, 7);
    assert.equal(reopened.currentRv(), 7);
    reopened.close();
  });

  test('after a restart, watching from before the restart is 410 Gone so informers relist', () => {
    const dir = tempDir();
    const first = new ObjectStore({ log: new PersistenceLog(dir) });
    first.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    first.commit([{ op: 'put', resource: 'configmaps', object: cm('b') }]);
    first.close();
    const second = new ObjectStore({ log: new PersistenceLog(dir) });
    assert.throws(() => second.watch('configmaps', undefined, 1, () => {}), /too old resource version/);
    second.watch('configmaps', undefined, 2, () => {}).stop();
    second.close();
  });

  test('a torn last record is dropped with a warning and the earlier records are kept', () => {
    const dir = tempDir();
    const store = new ObjectStore({ log: new PersistenceLog(dir) });
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    appendFileSync(join(dir, 'objects.log'), '1234abcd {"rv":2,"op":"put","reso');
    const reopened = new ObjectStore({ log: new PersistenceLog(dir) });
    assert.equal(reopened.get('configmaps', 'default', 'a')?.metadata.resourceVersion, '1');
    assert.equal(reopened.recoveryWarnings.length, 1);
    assert.match(reopened.recoveryWarnings[0] ?? '', /torn last record at line 2/);
    const [b] = reopened.commit([{ op: 'put', resource: 'configmaps', object: cm('b') }]);
    assert.equal(b?.metadata.resourceVersion, '2');
    reopened.close();
  });

  test('a damaged record before the end refuses to start instead of serving a partial store', () => {
    const dir = tempDir();
    const store = new ObjectStore({ log: new PersistenceLog(dir) });
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('b') }]);
    const path = join(dir, 'objects.log');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"name":"a"', '"name":"x"'));
    assert.throws(
      () => new ObjectStore({ log: new PersistenceLog(dir) }),
      (err: unknown) =>
        err instanceof Error &&
        /objects\.log: record at line 1 is damaged.*refusing to start/.test(err.message),
    );
  });

  test('a damaged snapshot refuses to start', () => {
    const dir = tempDir();
    const store = new ObjectStore({ log: new PersistenceLog(dir) });
    store.commit([{ op: 'put', resource: 'configmaps', object: cm('a') }]);
    store.close();
    writeFileSync(join(dir, 'snapshot.json'), '{"rv":0,"objects":[]}\n');
    assert.throws(() => new ObjectStore({ log: new PersistenceLog(dir) }), /snapshot is damaged/);
  });
});
