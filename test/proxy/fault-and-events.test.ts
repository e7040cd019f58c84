/**
 * Envoy's fault filter (what Istio's VirtualService `fault` becomes) and the outlier event log.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { httpGet } from '../support/http-client.js';
import { makeBootstrap, readAccessLog, startProxy, tempDir } from '../support/proxy-fixture.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';
import { waitFor } from '../support/wait-for.js';

describe('fault injection and outlier events', () => {
  let backend: TestBackend;
  let other: TestBackend;
  let dir: { path: string; cleanup(): Promise<void> };

  before(async () => {
    backend = await startBackend('svc', '127.77.60.1');
    other = await startBackend('other', '127.77.60.2');
    dir = await tempDir();
  });

  after(async () => {
    await backend.close();
    await other.close();
    await dir.cleanup();
  });

  test('an abort fault at 100 % answers 503 "fault filter abort" with flag FI without calling the upstream', async () => {
    const accessLogPath = `${dir.path}/abort.log`;
    const proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [[backend]] },
        faultFilter: { abort: { http_status: 503, percentage: { numerator: 100, denominator: 'HUNDRED' } } },
        accessLogPath,
      }),
    );
    try {
      const hits = backend.hits;
      const res = await httpGet(`${proxy.url}/`);
      assert.equal(res.status, 503);
      assert.equal(res.body, 'fault filter abort');
      assert.equal(backend.hits, hits);
      const [entry] = await readAccessLog(accessLogPath, 1);
      assert.equal(entry?.flags, 'FI');
      assert.equal(entry?.details, 'fault_filter_abort');
    } finally {
      await proxy.close();
    }
  });

  test('a delay fault at 100 % still reaches the upstream and is flagged DI', async () => {
    const accessLogPath = `${dir.path}/delay.log`;
    const proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [[backend]] },
        faultFilter: {
          delay: { fixed_delay: '0.05s', percentage: { numerator: 100, denominator: 'HUNDRED' } },
        },
        accessLogPath,
      }),
    );
    try {
      const res = await httpGet(`${proxy.url}/`);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'svc');
      const [entry] = await readAccessLog(accessLogPath, 1);
      assert.equal(entry?.flags, 'DI');
    } finally {
      await proxy.close();
    }
  });

  test("cluster_manager.outlier_detection.event_log_path receives an EJECT event in Envoy's JSON form", async () => {
    const eventLog = `${dir.path}/outlier-events.log`;
    const bootstrap = makeBootstrap({
      cluster: {
        priorities: [[backend, other]],
        outlierDetection: { consecutive_5xx: 1, max_ejection_percent: 100 },
      },
    });
    bootstrap['cluster_manager'] = { outlier_detection: { event_log_path: eventLog } };
    const proxy = await startProxy(bootstrap);
    try {
      backend.setBehaviour({ kind: 'status', status: 503 });
      for (let i = 0; i < 3; i++) await httpGet(`${proxy.url}/`);
      const line = await waitFor('an outlier event', async () => {
        const text = await readFile(eventLog, 'utf8').catch(() => '');
        return text.split('\n').find((l) => l.includes('"EJECT"'));
      });
      const event = JSON.parse(line) as Record<string, unknown>;
      assert.equal(event['type'], 'CONSECUTIVE_5XX');
      assert.equal(event['cluster_name'], 'backend');
      assert.equal(event['upstream_url'], `${backend.address}:${backend.port}`);
      assert.equal(event['action'], 'EJECT');
      assert.equal(event['num_ejections'], 1);
      assert.equal(event['enforced'], true);
    } finally {
      backend.setBehaviour({ kind: 'ok' });
      await proxy.close();
    }
  });
});
