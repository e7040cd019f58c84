import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../kube-object.js';
import { KubeApiError } from '../kube-object.js';
import { resourceByPlural } from '../resource-registry.js';
import { parseFieldSelector } from './field-selector.js';
import { formatLabelSelector, parseLabelSelector, selectorMatches } from '../label-selector.js';

describe('label selectors', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'api' }, false],
    ['app!=web', {}, true],
    ['app in (web, api),tier notin (db)', { app: 'api', tier: 'front' }, true],
    ['app in (web,api)', { tier: 'front' }, false],
    ['canary', { canary: '' }, true],
    ['!canary', { canary: 'true' }, false],
    ['app.kubernetes.io/name=x,!legacy', { 'app.kubernetes.io/name': 'x' }, true],
  ];
  for (const [selector, labels, expected] of cases) {
    test(`"${selector}" ${expected ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
      assert.equal(selectorMatches(parseLabelSelector(selector), labels), expected);
    });
  }

  test('a malformed selector is a 400 BadRequest', () => {
    assert.throws(
      () => parseLabelSelector('app=we b'),
      (e: unknown) => e instanceof KubeApiError && e.code === 400,
    );
  });

  test('matchLabels and matchExpressions format as a selector string', () => {
    assert.equal(
      formatLabelSelector({
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
      }),
      'app=web,tier in (a,b)',
    );
  });
});

describe('field selectors', () => {
  const pods = resourceByPlural('pods');
  const configmaps = resourceByPlural('configmaps');
  assert.ok(pods !== undefined && configmaps !== undefined);
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { nodeName: 'node-1' },
    status: { phase: 'Running' },
  };

  test('selects pods by spec.nodeName, status.phase and metadata fields', () => {
    assert.equal(parseFieldSelector('spec.nodeName=node-1,status.phase!=Pending', pods).matches(pod), true);
    assert.equal(parseFieldSelector('spec.nodeName=node-2', pods).matches(pod), false);
    assert.equal(parseFieldSelector('metadata.name=p,metadata.namespace=default', pods).matches(pod), true);
  });

  test('a field a kind does not support is a 400 "field label not supported"', () => {
    assert.throws(
      () => parseFieldSelector('spec.nodeName=x', configmaps),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.code === 400 &&
        e.message === 'field label not supported: spec.nodeName',
    );
  });
});
