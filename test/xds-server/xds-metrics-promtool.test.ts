/**
 * The ADS server's metrics, after real traffic (pushes, an ACK that converges, a NACK, a stale
 * nonce, two protocol variants), in Istio's names, checked by the real `promtool check metrics`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SystemClock } from '../../src/core/clock.js';
import { MetricsRegistry } from '../../src/core/metrics-registry.js';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { AdsServer } from '../../src/xds-server/ads-server.js';
import { nodeJson, RawDeltaStream, RawSotwStream } from '../support/raw-ads-client.js';
import { runCommand } from '../support/run-command.js';
import { waitFor } from '../support/wait-for.js';
import { assignment, cluster, resourceSet } from '../support/xds-resources.js';

test('pilot_* metrics after pushes, ACKs, a NACK and a stale nonce pass promtool check metrics', async () => {
  const registry = new MetricsRegistry();
  const server = new AdsServer({
    address: '127.82.3.1:0',
    clock: new SystemClock(),
    metrics: registry,
    onProxyConnected: ({ node }) => ({ proxyKey: node.id }),
  });
  await server.start();
  const sotw = new RawSotwStream(server.address);
  const delta = new RawDeltaStream(server.address);
  try {
    server.setResources('m1', resourceSet(cluster('c'), assignment('c', 1)));
    server.setResources('m2', resourceSet(cluster('c')));
    sotw.send({ node: nodeJson('m1', { ISTIO_VERSION: '1.24.0' }), type_url: XdsTypeUrl.cluster });
    const cds = await sotw.next();
    sotw.ack(cds);
    delta.send({ node: nodeJson('m2'), type_url: XdsTypeUrl.cluster });
    delta.ack(await delta.next());
    await waitFor('the CDS ACK', () =>
      server.connectedProxies().some((p) => p.types.some((t) => t.versionAcked === cds.versionInfo)),
    );
    // A change that converges (pushed, then ACKed).
    server.setResources('m1', resourceSet(cluster('c', 'c2'), assignment('c', 1)));
    const update = await sotw.next();
    sotw.ack(update);
    await waitFor('a convergence observation', () =>
      /^pilot_proxy_convergence_time_count 1$/m.test(registry.render()),
    );
    // A stale nonce, then a NACK.
    sotw.ack(cds);
    server.setResources('m1', resourceSet(cluster('c', 'c3'), assignment('c', 1)));
    const rejected = await sotw.next();
    sotw.send({
      type_url: XdsTypeUrl.cluster,
      version_info: update.versionInfo,
      response_nonce: rejected.nonce,
      error_detail: { code: 3, message: 'rejected' },
    });
    await waitFor('the NACK', () => /^pilot_total_xds_rejects\{type="cds"\} 1$/m.test(registry.render()));

    const text = registry.render();
    assert.match(text, /^pilot_xds\{version="1\.24\.0"\} 1$/m);
    assert.match(text, /^pilot_xds\{version=""\} 1$/m);
    assert.match(text, /^pilot_xds_pushes\{type="cds"\} 4$/m);
    assert.match(text, /^pilot_xds_expired_nonce\{type="cds"\} 1$/m);
    assert.match(text, /^# TYPE pilot_proxy_convergence_time histogram$/m);
    assert.match(text, /^pilot_xds_send_time_count 4$/m);
    assert.match(text, /^pilot_total_xds_internal_errors 0$/m);
    const lint = await runCommand('promtool', ['check', 'metrics'], { input: text });
    assert.equal(lint.code, 0, `promtool check metrics failed:\n${lint.stdout}${lint.stderr}\n${text}`);
  } finally {
    sotw.close();
    delta.close();
    await server.close();
  }
});
