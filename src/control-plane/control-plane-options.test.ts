import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../core/errors.js';
import { parseControlPlaneFlags, parseHostPort, parseRemote } from './control-plane-options.js';

const base = {
  clusterId: 'cluster-1',
  xdsAddress: '127.0.0.1:15010',
  adminAddress: '127.0.0.1:15014',
  trustDomain: 'cluster.local',
};

test('a remote names kubeconfig, context, cluster id and network', () => {
  assert.deepEqual(parseRemote('/tmp/lab/kubeconfig#cluster-2=cluster-2@network-2'), {
    clusterId: 'cluster-2',
    network: 'network-2',
    kubeconfig: '/tmp/lab/kubeconfig',
    context: 'cluster-2',
  });
  assert.deepEqual(parseRemote('/k/c2.yaml=c2'), { clusterId: 'c2', network: '', kubeconfig: '/k/c2.yaml' });
});

test('malformed remotes are refused with the flag and the reason', () => {
  for (const text of ['/k/c2.yaml', '=c2', '/k/c2.yaml=', '/k/c2.yaml#=c2', '#ctx=c2', '/k=bad id']) {
    assert.throws(
      () => parseRemote(text),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith('--remote: '),
      text,
    );
  }
});

test('addresses need a port; port 0 is allowed', () => {
  assert.deepEqual(parseHostPort('--xds-address', '127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseHostPort('--xds-address', '[::1]:15010'), { host: '::1', port: 15010 });
  assert.throws(
    () => parseHostPort('--xds-address', '127.0.0.1'),
    /--xds-address: expected <address>:<port>/,
  );
  assert.throws(() => parseHostPort('--xds-address', '127.0.0.1:70000'), /expected <address>:<port>/);
});

test('the local cluster and remotes must have distinct ids; defaults apply', () => {
  const options = parseControlPlaneFlags({
    ...base,
    context: 'cluster-1',
    remote: ['/k#cluster-2=cluster-2'],
  });
  assert.equal(options.local.clusterId, 'cluster-1');
  assert.equal(options.local.context, 'cluster-1');
  assert.equal(options.remotes.length, 1);
  assert.equal(options.debounceMs, 10);
  assert.throws(() => parseControlPlaneFlags({ ...base, remote: ['/k#x=cluster-1'] }), /given twice/);
  assert.throws(() => parseControlPlaneFlags({ ...base, debounceMs: 'soon' }), /--debounce-ms/);
  assert.equal(options.enableInboundRetryPolicy, true);
  assert.equal(
    parseControlPlaneFlags({ ...base, inboundRetryPolicy: 'false' }).enableInboundRetryPolicy,
    false,
  );
  assert.throws(
    () => parseControlPlaneFlags({ ...base, inboundRetryPolicy: 'no' }),
    /--inbound-retry-policy/,
  );
});
