import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dnsCandidates, parseServiceQuery, resolveServiceClusters } from './service-host.js';

const clusters = [
  'outbound|8000||mockb.default.svc.cluster.local',
  'outbound|9000||mockb.default.svc.cluster.local',
  'outbound|8000|v1|mockb.default.svc.cluster.local',
  'outbound|8000||mockb.other.svc.cluster.local',
  'outbound|8000||mocka.default.svc.cluster.local',
  'inbound|8000||',
  'xds-grpc',
];

const names = (r: ReturnType<typeof resolveServiceClusters>): string[] => r.clusters.map((c) => c.name);

describe('service host resolution (Kubernetes DNS search path from the pod namespace)', () => {
  test('parses host and port, refusing what is not a host name', () => {
    assert.deepEqual(parseServiceQuery('mockb'), { host: 'mockb', port: undefined });
    assert.deepEqual(parseServiceQuery('MockB.default:8000'), { host: 'mockb.default', port: 8000 });
    assert.throws(() => parseServiceQuery('mockb:0'), /SPILLWAY_ERR_EXPLAIN_USAGE|expected <host>\[:port\]/);
    assert.throws(() => parseServiceQuery('http://mockb'), /expected <host>\[:port\]/);
  });

  test('search list <ns>.svc.<suffix>, svc.<suffix>, <suffix>, then the name itself; ndots 5; a trailing dot is absolute', () => {
    assert.deepEqual(dnsCandidates('mockb', 'default'), [
      'mockb.default.svc.cluster.local',
      'mockb.svc.cluster.local',
      'mockb.cluster.local',
      'mockb',
    ]);
    assert.deepEqual(dnsCandidates('mockb.default.svc.cluster.local.', 'x'), [
      'mockb.default.svc.cluster.local',
    ]);
    assert.equal(dnsCandidates('a.b.c.d.e.f', 'default')[0], 'a.b.c.d.e.f');
  });

  test('a short name resolves in the pod namespace: every port and subset, default cluster first', () => {
    const r = resolveServiceClusters(parseServiceQuery('mockb'), 'default', clusters);
    assert.equal(r.host, 'mockb.default.svc.cluster.local');
    assert.deepEqual(names(r), [
      'outbound|8000||mockb.default.svc.cluster.local',
      'outbound|8000|v1|mockb.default.svc.cluster.local',
      'outbound|9000||mockb.default.svc.cluster.local',
    ]);
  });

  test('name.namespace and the FQDN name another namespace; :port picks one port', () => {
    assert.deepEqual(names(resolveServiceClusters(parseServiceQuery('mockb.other'), 'default', clusters)), [
      'outbound|8000||mockb.other.svc.cluster.local',
    ]);
    assert.deepEqual(names(resolveServiceClusters(parseServiceQuery('mockb'), 'other', clusters)), [
      'outbound|8000||mockb.other.svc.cluster.local',
    ]);
    assert.deepEqual(
      names(
        resolveServiceClusters(parseServiceQuery('mockb.default.svc.cluster.local:9000'), 'other', clusters),
      ),
      ['outbound|9000||mockb.default.svc.cluster.local'],
    );
  });

  test('an unknown host lists the closest outbound clusters; a known host on another port lists its ports', () => {
    assert.throws(
      () => resolveServiceClusters(parseServiceQuery('mockbb'), 'default', clusters),
      (err: Error & { code?: string }) =>
        err.code === 'SPILLWAY_ERR_EXPLAIN_SERVICE_UNKNOWN' &&
        /no outbound cluster for 'mockbb' .*; closest: outbound\|8000\|\|mockb\.default\.svc\.cluster\.local/.test(
          err.message,
        ),
    );
    assert.throws(
      () => resolveServiceClusters(parseServiceQuery('mockb:7000'), 'default', clusters),
      /knows mockb\.default\.svc\.cluster\.local only on port\(s\) 8000, 9000, not 7000/,
    );
    assert.throws(
      () => resolveServiceClusters(parseServiceQuery('x'), 'default', ['xds-grpc']),
      /no outbound clusters at all/,
    );
  });
});
