/**
 * `spillway proxy` as a user runs it: a bad bootstrap is refused with file and field path before
 * anything listens; a good one serves real curl traffic and stops on POST /quitquitquit.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { makeBootstrap, tempDir } from '../support/proxy-fixture.js';
import { runCommand } from '../support/run-command.js';
import { spawnSpillway } from '../support/spawn-spillway.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';

describe('spillway proxy', () => {
  let dir: { path: string; cleanup(): Promise<void> };
  let backend: TestBackend;

  before(async () => {
    dir = await tempDir();
    backend = await startBackend('from-backend', '127.77.40.2');
  });

  after(async () => {
    await backend.close();
    await dir.cleanup();
  });

  test('an invalid bootstrap exits 1 naming the file and the field path, and never goes live', async () => {
    const bootstrap = makeBootstrap({ cluster: { priorities: [[backend]] } });
    const clusters = (bootstrap['static_resources'] as { clusters: Record<string, unknown>[] }).clusters;
    (clusters[0] as Record<string, unknown>)['conect_timeout'] = '1s';
    const file = `${dir.path}/typo.yaml`;
    await writeFile(file, stringify(bootstrap));
    const run = spawnSpillway(['proxy', '--config', file, '--admin-address-path', `${dir.path}/typo.admin`]);
    const code = await run.exited;
    assert.equal(code, 1);
    assert.match(
      run.stderr(),
      new RegExp(
        `${file.replace(/[.]/g, '\\.')}: document 0: static_resources\\.clusters\\[0\\]\\.conect_timeout`,
      ),
    );
    assert.doesNotMatch(run.stderr(), /proxy live/);
    await assert.rejects(readFile(`${dir.path}/typo.admin`), /ENOENT/);
  });

  test('--mode validate checks a good bootstrap and exits 0', async () => {
    const file = `${dir.path}/good.yaml`;
    await writeFile(file, stringify(makeBootstrap({ cluster: { priorities: [[backend]] } })));
    const run = spawnSpillway(['proxy', '--config', file, '--mode', 'validate']);
    assert.equal(await run.exited, 0);
    assert.match(run.stdout(), /OK/);
  });

  test('serves curl through the listener and stops cleanly on POST /quitquitquit', async () => {
    const bootstrap = makeBootstrap({ cluster: { priorities: [[backend]] }, listenerAddress: '127.77.40.1' });
    const listeners = (bootstrap['static_resources'] as { listeners: Array<Record<string, unknown>> })
      .listeners;
    (listeners[0] as { address: unknown }).address = {
      socket_address: { address: '127.77.40.1', port_value: 10000 },
    };
    const file = `${dir.path}/serve.yaml`;
    await writeFile(file, stringify(bootstrap));
    const adminFile = `${dir.path}/serve.admin`;
    const run = spawnSpillway(['proxy', '--config', file, '--admin-address-path', adminFile]);
    try {
      const admin = await waitFor('the admin address file', () =>
        readFile(adminFile, 'utf8').catch(() => undefined),
      );
      const curl = await runCommand('curl', ['-s', '-i', 'http://127.77.40.1:10000/hello']);
      assert.equal(curl.code, 0, curl.stderr);
      assert.match(curl.stdout, /^HTTP\/1\.1 200 OK/);
      assert.match(curl.stdout, /\r\nserver: envoy\r\n/);
      assert.match(curl.stdout, /\r\nx-envoy-upstream-service-time: \d+\r\n/);
      assert.match(curl.stdout, /from-backend$/);
      assert.ok(backend.lastHeaders?.['x-request-id'] !== undefined, 'the proxy adds x-request-id upstream');
      const quit = await runCommand('curl', ['-s', '-X', 'POST', `http://${admin}/quitquitquit`]);
      assert.equal(quit.stdout, 'OK\n');
      assert.equal(await run.exited, 0);
    } finally {
      await run.kill();
    }
  });
});
