import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasRouteRetry, mockbCluster, parseUpstreamCounters } from './sidecar-stats.js';

test("the counters of mockb's cluster are read from /stats text, other clusters ignored", () => {
  const text = [
    `cluster.${mockbCluster}.outlier_detection.ejections_active: 1`,
    `cluster.${mockbCluster}.outlier_detection.ejections_enforced_total: 3`,
    `cluster.${mockbCluster}.upstream_rq_retry: 4`,
    `cluster.${mockbCluster}.upstream_rq_retry_success: 2`,
    'cluster.outbound|8000||mockc.default.svc.cluster.local.outlier_detection.ejections_enforced_total: 9',
    '',
  ].join('\n');
  assert.deepEqual(parseUpstreamCounters(text, mockbCluster), {
    ejectionsEnforced: 3,
    ejectionsActive: 1,
    retries: 4,
    retrySuccesses: 2,
  });
  assert.deepEqual(parseUpstreamCounters('', mockbCluster), {
    ejectionsEnforced: 0,
    ejectionsActive: 0,
    retries: 0,
    retrySuccesses: 0,
  });
});

test('a retry policy is found on a route to the cluster anywhere in a config dump', () => {
  const dump = {
    configs: [
      {
        dynamic_route_configs: [
          {
            route_config: {
              virtual_hosts: [
                {
                  routes: [
                    { route: { cluster: mockbCluster, retry_policy: { retry_on: 'connect-failure' } } },
                    { route: { cluster: 'other', retry_policy: { retry_on: 'gateway-error' } } },
                  ],
                },
              ],
            },
          },
        ],
      },
    ],
  };
  assert.equal(hasRouteRetry(dump, mockbCluster, 'gateway-error'), false);
  assert.equal(hasRouteRetry(dump, 'other', 'gateway-error'), true);
  assert.equal(hasRouteRetry(dump, mockbCluster, 'connect-failure'), true);
});
