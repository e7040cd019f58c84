import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointHealth, supportsDrainingEndpoints } from './endpoint-health.js';
import type { EndpointConditions } from './kube-records.js';

describe('EndpointSlice conditions -> Istio health', () => {
  const table: ReadonlyArray<[string, EndpointConditions, boolean, string]> = [
    ['ready', { ready: true, serving: true, terminating: false }, false, 'healthy'],
    ['no conditions at all (ready unknown counts as ready)', {}, false, 'healthy'],
    [
      'ready while terminating (publishNotReadyAddresses)',
      { ready: true, terminating: true },
      false,
      'healthy',
    ],
    [
      'not ready, not serving, not terminating',
      { ready: false, serving: false, terminating: false },
      false,
      'unhealthy',
    ],
    [
      'serving but not ready and not terminating',
      { ready: false, serving: true, terminating: false },
      false,
      'unhealthy',
    ],
    ['not ready and terminating', { ready: false, serving: false, terminating: true }, false, 'terminating'],
    [
      'serving while terminating, no persistent sessions',
      { ready: false, serving: true, terminating: true },
      false,
      'terminating',
    ],
    [
      'serving while terminating, persistent sessions',
      { ready: false, serving: true, terminating: true },
      true,
      'draining',
    ],
    [
      'not serving while terminating, persistent sessions',
      { ready: false, serving: false, terminating: true },
      true,
      'terminating',
    ],
    [
      'not ready with terminating unset counts as terminating',
      { ready: false, serving: false },
      false,
      'terminating',
    ],
  ];
  for (const [name, conditions, isDraining, expected] of table) {
    it(`${name} -> ${expected}`, () => assert.equal(endpointHealth(conditions, isDraining), expected));
  }

  it('supports draining only for services with a non-empty persistent-session label', () => {
    assert.equal(supportsDrainingEndpoints({ 'istio.io/persistent-session': 'session-cookie' }), true);
    assert.equal(supportsDrainingEndpoints({ 'istio.io/persistent-session-header': 'x-session' }), true);
    assert.equal(supportsDrainingEndpoints({ 'istio.io/persistent-session': '' }), false);
    assert.equal(supportsDrainingEndpoints({ app: 'web' }), false);
  });
});
