import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpillwayError } from '../../core/errors.js';
import { formatTarget, parseFaultTarget } from './fault-target.js';

test('a bare name is a pod; kind/name gives the kind, with kubectl short names', () => {
  assert.deepEqual(parseFaultTarget('mocka-1'), { kind: 'pod', name: 'mocka-1' });
  assert.deepEqual(parseFaultTarget('pod/mocka-1'), { kind: 'pod', name: 'mocka-1' });
  assert.deepEqual(parseFaultTarget('po/mocka-1'), { kind: 'pod', name: 'mocka-1' });
  assert.deepEqual(parseFaultTarget('deploy/mockb'), { kind: 'deployment', name: 'mockb' });
  assert.deepEqual(parseFaultTarget('Deployment/mockb'), { kind: 'deployment', name: 'mockb' });
  assert.deepEqual(parseFaultTarget('zone/ap-northeast-1a'), { kind: 'zone', name: 'ap-northeast-1a' });
  assert.deepEqual(parseFaultTarget('cluster/cluster-2'), { kind: 'cluster', name: 'cluster-2' });
  assert.equal(formatTarget(parseFaultTarget('deploy/mockb')), 'deployment/mockb');
});

test('an unknown kind or a malformed name is refused, saying what is accepted', () => {
  assert.throws(
    () => parseFaultTarget('service/mockb'),
    (err: unknown) =>
      err instanceof SpillwayError &&
      err.code === 'SPILLWAY_ERR_LAB_TARGET_INVALID' &&
      err.message.includes("unknown target 'service/mockb'") &&
      err.message.includes('zone/<zone>'),
  );
  assert.throws(() => parseFaultTarget('pod/'), /not a valid pod name/);
  assert.throws(() => parseFaultTarget('zone/Mars_1'), /'Mars_1' is not a valid zone name/);
  assert.throws(() => parseFaultTarget('deployment/a/b'), /not a valid deployment name/);
});
