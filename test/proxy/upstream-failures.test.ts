/**
 * What a client sees when an upstream refuses connections, with and without retries, and what the
 * admin interface shows about ejections (Prometheus form checked by the real promtool).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SeededRandom } from '../../src/core/random.js';
import { httpGet } from '../support/http-client.js';
import { makeBootstrap, readAccessLog, startProxy, tempDir } from '../support/proxy-fixture.js';
import { runCommand } from '../support/run-command.js';
import { startBackend, type TestBackend } from '../support/test-backend.js';

const refusedBody =
  'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, ' +
  'transport failure reason: delayed connect error: Connection refused';

describe('refused upstream connections', () => {
  let live: TestBackend;
  let dir: { path: string; cleanup(): Promise<void> };
  const refused = { address: '127.77.10.1', port: 8080 };

  before(async () => {
    live = await startBackend('live', '127.77.10.2');
    dir = await tempDir();
  });

  after(async () => {
    await live.close();
    await dir.cleanup();
  });

  test("without retries the client gets 503 with Envoy's exact body and flag UF", async () => {
    const accessLogPath = `${dir.path}/no-retry.log`;
    const proxy = await startProxy(makeBootstrap({ cluster: { priorities: [[refused]] }, accessLogPath }));
    try {
      const res = await httpGet(`${proxy.url}/`);
      assert.equal(res.status, 503);
      assert.equal(res.body, refusedBody);
      assert.equal(res.headers['content-type'], 'text/plain');
      const [entry] = await readAccessLog(accessLogPath, 1);
      assert.equal(entry?.flags, 'UF');
      assert.equal(
        entry?.details,
        'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
      );
      assert.equal(entry?.upstream, `${refused.address}:${refused.port}`);
    } finally {
      await proxy.close();
    }
  });

  test('with retry_on connect-failure and previous_hosts the client sees 200 every time', async () => {
    const accessLogPath = `${dir.path}/retry.log`;
    const proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [[refused, live]] },
        retryPolicy: {
          retry_on: 'connect-failure',
          num_retries: 2,
          retry_host_predicate: [
            {
              name: 'envoy.retry_host_predicates.previous_hosts',
              typed_config: {
                '@type':
                  'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
              },
            },
          ],
          host_selection_retry_max_attempts: 5,
        },
        accessLogPath,
      }),
      { random: new SeededRandom(5) },
    );
    try {
      for (let i = 0; i < 10; i++) {
        const res = await httpGet(`${proxy.url}/`);
        assert.equal(res.status, 200);
        assert.equal(res.body, 'live');
      }
      const log = await readAccessLog(accessLogPath, 10);
      assert.ok(log.every((e) => e.code === 200 && e.flags === '-'));
      // Round robin sends every other first attempt to the refusing host; those needed a second attempt.
      assert.ok(
        log.some((e) => e.attempts === 2),
        JSON.stringify(log),
      );
    } finally {
      await proxy.close();
    }
  });

  test('when every attempt is refused the body says "retried and the latest" and the flags are UF,URX', async () => {
    const accessLogPath = `${dir.path}/exhausted.log`;
    const proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [[refused]] },
        retryPolicy: { retry_on: 'connect-failure', num_retries: 2 },
        accessLogPath,
      }),
    );
    try {
      const res = await httpGet(`${proxy.url}/`);
      assert.equal(res.status, 503);
      assert.equal(
        res.body,
        'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ' +
          'remote connection failure, transport failure reason: delayed connect error: Connection refused',
      );
      const [entry] = await readAccessLog(accessLogPath, 1);
      assert.equal(entry?.flags, 'UF,URX');
      assert.equal(entry?.attempts, 3);
    } finally {
      await proxy.close();
    }
  });
});

describe('ejection statistics on the admin interface', () => {
  let backends: TestBackend[];

  before(async () => {
    backends = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => startBackend(`h${i}`, `127.77.11.${i}`)));
  });

  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  test('an ejection shows in /stats/prometheus with Envoy names and a cluster_name label, and passes promtool', async () => {
    const [h1, h2] = backends as [TestBackend, TestBackend];
    const proxy = await startProxy(
      makeBootstrap({
        cluster: {
          name: 'outbound|8000||mockb.default.svc.cluster.local',
          priorities: [[h1, h2]],
          outlierDetection: { consecutive_5xx: 1, max_ejection_percent: 100 },
        },
      }),
    );
    try {
      h1.setBehaviour({ kind: 'status', status: 503 });
      for (let i = 0; i < 4; i++) await httpGet(`${proxy.url}/`);
      const metrics = (await httpGet(`${proxy.adminUrl}/stats/prometheus`)).body;
      const label = '{cluster_name="outbound|8000||mockb.default.svc.cluster.local"}';
      assert.ok(metrics.includes(`envoy_cluster_outlier_detection_ejections_active${label} 1\n`), metrics);
      assert.ok(metrics.includes(`envoy_cluster_outlier_detection_ejections_enforced_total${label} 1\n`));
      assert.ok(
        metrics.includes(`envoy_cluster_outlier_detection_ejections_enforced_consecutive_5xx${label} 1\n`),
      );
      assert.ok(metrics.includes(`envoy_cluster_outlier_detection_ejections_overflow${label} 0\n`));
      // Spillway's own failover metrics, labelled by the ejected endpoint (no pod metadata here).
      assert.match(
        metrics,
        new RegExp(
          `^spillway_outlier_ejected\\{cluster_name="outbound\\|8000\\|\\|mockb\\.default\\.svc\\.cluster\\.local",` +
            `upstream_url="${h1.address.replace(/\./g, '\\.')}:${h1.port}",upstream_pod="unknown",[^}]*type="consecutive_5xx"\\} 1$`,
          'm',
        ),
      );
      assert.match(
        metrics,
        /^spillway_cluster_panic\{cluster_name="outbound\|8000\|\|mockb\.default\.svc\.cluster\.local"\} 0$/m,
      );
      const lint = await runCommand('promtool', ['check', 'metrics'], { input: metrics });
      assert.equal(lint.code, 0, `promtool check metrics failed:\n${lint.stdout}${lint.stderr}`);
      const clusters = (await httpGet(`${proxy.adminUrl}/clusters`)).body;
      assert.ok(clusters.includes(`${h1.address}:${h1.port}::health_flags::/failed_outlier_check`), clusters);
    } finally {
      h1.setBehaviour({ kind: 'ok' });
      await proxy.close();
    }
  });

  test('max_ejection_percent 10 with 6 endpoints blocks the ejection and counts ejections_overflow', async () => {
    const proxy = await startProxy(
      makeBootstrap({
        cluster: { priorities: [backends], outlierDetection: { consecutive_5xx: 1 } },
      }),
    );
    const h1 = backends[0] as TestBackend;
    try {
      h1.setBehaviour({ kind: 'status', status: 503 });
      for (let i = 0; i < 6; i++) await httpGet(`${proxy.url}/`);
      const stats = (await httpGet(`${proxy.adminUrl}/stats?filter=outlier_detection`)).body;
      assert.match(stats, /cluster\.backend\.outlier_detection\.ejections_active: 0\n/);
      assert.match(stats, /cluster\.backend\.outlier_detection\.ejections_overflow: 1\n/);
      assert.match(stats, /cluster\.backend\.outlier_detection\.ejections_detected_consecutive_5xx: 1\n/);
      assert.match(stats, /cluster\.backend\.outlier_detection\.ejections_enforced_total: 0\n/);
    } finally {
      h1.setBehaviour({ kind: 'ok' });
      await proxy.close();
    }
  });
});
