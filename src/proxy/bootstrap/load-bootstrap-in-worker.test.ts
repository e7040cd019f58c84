import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, ErrorCode } from '../../core/errors.js';
import { loadBootstrapFile } from './bootstrap-loader.js';
import { loadBootstrapInWorker } from './load-bootstrap-in-worker.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const testdata = path.join(repoRoot(), 'src', 'proxy', 'bootstrap', 'testdata');

test('a bootstrap loaded in the worker equals the one loaded in process', async () => {
  const file = path.join(testdata, 'three-priorities.yaml');
  assert.deepEqual(await loadBootstrapInWorker(file), await loadBootstrapFile(file));
});

test('regular expressions of routes survive the trip from the worker', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'spillway-worker-'));
  try {
    const file = path.join(dir, 'regex.yaml');
    await writeFile(
      file,
      `static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { safe_regex: { regex: "/items/[0-9]+" } }
                direct_response: { status: 200 }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`,
    );
    const config = await loadBootstrapInWorker(file);
    const match = config.listeners[0]?.hcm.routeConfig?.virtualHosts[0]?.routes[0]?.match.path;
    assert.ok(match?.kind === 'safe_regex', 'the route keeps its safe_regex matcher');
    assert.ok(match.regex instanceof RegExp);
    assert.ok(match.regex.test('/items/42'));
    assert.ok(!match.regex.test('/items/x'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an invalid bootstrap is rejected with the same ConfigError (file, document, field path)', async () => {
  const file = path.join(testdata, 'invalid', 'malformed-duration.yaml');
  const inProcess = await loadBootstrapFile(file).then(
    () => assert.fail('in-process load accepted an invalid file'),
    (err: unknown) => err,
  );
  await assert.rejects(loadBootstrapInWorker(file), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.ok(inProcess instanceof ConfigError);
    assert.equal(err.code, inProcess.code);
    assert.deepEqual(err.location, inProcess.location);
    assert.equal(err.message, inProcess.message);
    return true;
  });
});

test('a missing file is reported as a read error, not a worker crash', async () => {
  await assert.rejects(loadBootstrapInWorker('/nonexistent/spillway.yaml'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, ErrorCode.configRead);
    return true;
  });
});
