import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { makeLocality } from '../../core/locality.js';
import { SeededRandom } from '../../core/random.js';
import { buildCluster } from '../bootstrap/cluster-builder.js';
import { StatsStore } from '../stats/stats-store.js';
import { ClusterManager } from './cluster-manager.js';
import {
  failoverViewOf,
  localityScopeOf,
  renderFailoverMetrics,
  widestLocalityScope,
} from './failover-metrics.js';
import { Host } from './host.js';

const clusterName = 'outbound|8080||mockb.default.svc.cluster.local';

function endpoint(ip: string, pod: string | undefined, clusterId: string): Record<string, unknown> {
  const filterMetadata: Record<string, unknown> = {
    istio: { workload: `mockb;default;mockb;;${clusterId}` },
  };
  if (pod !== undefined) filterMetadata['spillway.io'] = { pod, namespace: 'default' };
  return {
    endpoint: { address: { socket_address: { address: ip, port_value: 8080 } } },
    metadata: { filter_metadata: filterMetadata },
  };
}

async function makeCluster(clock: FakeClock) {
  const manager = new ClusterManager({
    clock,
    random: new SeededRandom(7),
    stats: new StatsStore().root,
    resolver: { resolve: () => Promise.resolve([]) },
  });
  const config = buildCluster(
    {
      name: clusterName,
      alt_stat_name: `${clusterName};`,
      type: 'STATIC',
      connect_timeout: '1s',
      outlier_detection: {
        consecutive_5xx: 2,
        interval: '10s',
        base_ejection_time: '30s',
        max_ejection_percent: 100,
      },
      load_assignment: {
        cluster_name: clusterName,
        endpoints: [
          {
            locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1a' },
            lb_endpoints: [endpoint('10.0.0.1', 'mockb-abc-1', 'cluster-1')],
          },
          {
            locality: { region: 'ap-northeast-1', zone: 'ap-northeast-1c' },
            priority: 1,
            lb_endpoints: [endpoint('10.0.0.2', undefined, 'cluster-1')],
          },
          {
            locality: { region: 'us-east-1', zone: 'us-east-1a', sub_zone: 'rack1' },
            priority: 2,
            lb_endpoints: [endpoint('10.0.0.3', 'mockb-def-2', 'cluster-2')],
          },
        ],
      },
    },
    { path: 'cluster' },
  );
  await manager.addOrUpdate(config);
  const cluster = manager.get(clusterName);
  assert.ok(cluster !== undefined);
  return { manager, cluster };
}

const proxyLocality = makeLocality('ap-northeast-1', 'ap-northeast-1a');

test('no endpoint ejected: no ejection series, priority 0 takes all the load', async () => {
  const clock = new FakeClock();
  const { manager, cluster } = await makeCluster(clock);
  try {
    const text = renderFailoverMetrics([failoverViewOf(cluster)], proxyLocality);
    assert.doesNotMatch(text, /^spillway_outlier_ejected\{/m);
    assert.match(text, /^# TYPE spillway_outlier_ejected gauge$/m);
    const base = `cluster_name="${clusterName}"`;
    assert.match(
      text,
      new RegExp(
        `^spillway_cluster_priority_load\\{${escape(base)},priority="0",locality_scope="same_zone"\\} 100$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^spillway_cluster_priority_load\\{${escape(base)},priority="1",locality_scope="same_region"\\} 0$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^spillway_cluster_priority_load\\{${escape(base)},priority="2",locality_scope="other_region"\\} 0$`,
        'm',
      ),
    );
    assert.match(text, new RegExp(`^spillway_cluster_panic\\{${escape(base)}\\} 0$`, 'm'));
  } finally {
    manager.close();
  }
});

test('an ejected endpoint is labelled with its address, pod, namespace, locality, cluster and ejection type; load moves to priority 1', async () => {
  const clock = new FakeClock();
  const { manager, cluster } = await makeCluster(clock);
  try {
    const p0 = cluster.prioritySet.hostSets[0]?.hosts[0];
    assert.ok(p0?.outlier !== undefined);
    p0.outlier.putHttpResponseCode(503);
    p0.outlier.putHttpResponseCode(503);
    clock.advance(4000);
    const text = renderFailoverMetrics([failoverViewOf(cluster)], proxyLocality);
    const labels =
      `cluster_name="${clusterName}",upstream_url="10.0.0.1:8080",upstream_pod="mockb-abc-1",` +
      `upstream_namespace="default",upstream_locality="ap-northeast-1/ap-northeast-1a",` +
      `upstream_cluster="cluster-1",type="consecutive_5xx"`;
    assert.ok(text.includes(`spillway_outlier_ejected{${labels}} 1\n`), text);
    assert.ok(text.includes(`spillway_outlier_ejection_remaining_seconds{${labels}} 26\n`), text);
    assert.match(text, /spillway_cluster_priority_load\{[^}]*priority="0"[^}]*\} 0$/m);
    assert.match(text, /spillway_cluster_priority_load\{[^}]*priority="1"[^}]*\} 100$/m);
  } finally {
    manager.close();
  }
});

test('an endpoint without pod metadata is labelled unknown, and every endpoint ejected is total panic (default 50 % threshold)', async () => {
  const clock = new FakeClock();
  const { manager, cluster } = await makeCluster(clock);
  try {
    for (const hostSet of cluster.prioritySet.hostSets) {
      for (const host of hostSet.hosts) {
        host.outlier?.putHttpResponseCode(503);
        host.outlier?.putHttpResponseCode(503);
      }
    }
    const text = renderFailoverMetrics([failoverViewOf(cluster)], proxyLocality);
    assert.match(
      text,
      /spillway_outlier_ejected\{[^}]*upstream_url="10\.0\.0\.2:8080",upstream_pod="unknown",upstream_namespace="default"/,
    );
    assert.match(
      text,
      /spillway_outlier_ejected\{[^}]*upstream_locality="us-east-1\/us-east-1a\/rack1",upstream_cluster="cluster-2"/,
    );
    assert.equal(text.match(/^spillway_outlier_ejected\{/gm)?.length, 3);
    assert.match(text, /^spillway_cluster_panic\{[^}]*\} 1$/m);
  } finally {
    manager.close();
  }
});

test('locality scope: same zone, same region, other region, and unknown without a proxy locality', () => {
  const here = makeLocality('r1', 'z1');
  assert.equal(localityScopeOf(here, makeLocality('r1', 'z1', 's')), 'same_zone');
  assert.equal(localityScopeOf(here, makeLocality('r1', 'z2')), 'same_region');
  assert.equal(localityScopeOf(here, makeLocality('r2', 'z1')), 'other_region');
  assert.equal(localityScopeOf(makeLocality(), makeLocality('r1', 'z1')), 'unknown');
  assert.equal(localityScopeOf(here, makeLocality()), 'unknown', 'an endpoint without a locality');
});

test('label values are escaped', () => {
  const text = renderFailoverMetrics(
    [
      {
        statName: 'a"b\\c',
        hostSets: [],
        loadBalancerState: () => ({
          priorityLoad: { healthy: [], degraded: [] },
          perPriorityHealth: [],
          perPriorityPanic: [],
          totalPanic: false,
        }),
        ejectionState: () => undefined,
      },
    ],
    proxyLocality,
  );
  assert.ok(text.includes('spillway_cluster_panic{cluster_name="a\\"b\\\\c"} 0\n'));
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('widest locality scope of a priority: the widest known one; unknown when no host has a locality', () => {
  const here = makeLocality('r1', 'z1');
  const host = (locality = makeLocality()): Host =>
    new Host({ clusterName: 'c', address: '127.0.0.1', port: 80, locality });
  assert.equal(widestLocalityScope(here, []), 'unknown');
  assert.equal(widestLocalityScope(here, [host()]), 'unknown', 'a static endpoint without a locality');
  assert.equal(widestLocalityScope(here, [host(), host(makeLocality('r1', 'z1'))]), 'same_zone');
  assert.equal(
    widestLocalityScope(here, [host(makeLocality('r1', 'z1')), host(makeLocality('r2', 'z1'))]),
    'other_region',
  );
  assert.equal(widestLocalityScope(makeLocality(), [host(makeLocality('r1', 'z1'))]), 'unknown');
});
