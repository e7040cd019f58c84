import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import {
  buildPodStatus,
  kubeTime,
  podPhase,
  type ContainerState,
  type ContainerView,
  type PodView,
  type TerminatedState,
} from './pod-status.js';

const clock = new FakeClock(0, Date.UTC(2026, 11, 7, 10, 0, 0));
const t0 = clock.wallMs();

function exited(exitCode: number): TerminatedState {
  return {
    kind: 'terminated',
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    startedAtMs: t0,
    finishedAtMs: t0 + 1500,
    containerID: 'spillway://c1',
  };
}
const running: ContainerState = { kind: 'running', startedAtMs: t0 };
const crashLoop: ContainerState = { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s' };
const pulling: ContainerState = { kind: 'waiting', reason: 'ErrImagePull', message: 'cannot run' };

function container(name: string, state: ContainerState, extra: Partial<ContainerView> = {}): ContainerView {
  return {
    name,
    image: 'img',
    imageID: 'img@sha256:ab',
    containerID: state.kind === 'waiting' && extra.lastTerminated === undefined ? undefined : 'spillway://c1',
    state,
    lastTerminated: undefined,
    restartCount: 0,
    ready: state.kind === 'running',
    started: state.kind === 'running',
    ...extra,
  };
}

describe('pod phase (kubelet getPhase)', () => {
  const cases: Array<{
    name: string;
    policy: PodView['restartPolicy'];
    states: ContainerView[];
    expected: string;
  }> = [
    { name: 'all running', policy: 'Always', states: [container('a', running)], expected: 'Running' },
    {
      name: 'one never started (ErrImagePull)',
      policy: 'Always',
      states: [container('a', running), container('b', pulling)],
      expected: 'Pending',
    },
    {
      name: 'crash loop counts as stopped',
      policy: 'Always',
      states: [container('a', crashLoop, { lastTerminated: exited(1), restartCount: 3 })],
      expected: 'Running',
    },
    {
      name: 'Never, all exited 0',
      policy: 'Never',
      states: [container('a', exited(0))],
      expected: 'Succeeded',
    },
    {
      name: 'Never, one failed',
      policy: 'Never',
      states: [container('a', exited(0)), container('b', exited(2))],
      expected: 'Failed',
    },
    {
      name: 'OnFailure, one failed (restarts)',
      policy: 'OnFailure',
      states: [container('a', exited(1))],
      expected: 'Running',
    },
    {
      name: 'OnFailure, all exited 0',
      policy: 'OnFailure',
      states: [container('a', exited(0))],
      expected: 'Succeeded',
    },
    {
      name: 'Always, all exited 0 (restarts)',
      policy: 'Always',
      states: [container('a', exited(0))],
      expected: 'Running',
    },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.expected}`, () => {
      assert.equal(podPhase(c.policy, c.states, false), c.expected);
    });
  }

  test('a deleted pod whose containers stopped is terminal even under Always', () => {
    assert.equal(podPhase('Always', [container('a', exited(143))], true), 'Failed');
    assert.equal(podPhase('Always', [container('a', exited(0))], true), 'Succeeded');
  });
});

describe('pod status document', () => {
  function view(containers: ContainerView[], previous?: Record<string, unknown>, nowMs = t0): PodView {
    return {
      restartPolicy: 'Always',
      podIP: '127.87.1.2',
      hostIP: '127.87.1.1',
      startTimeMs: t0,
      containers,
      isTerminal: false,
      previous,
      nowMs,
    };
  }

  test('a ready pod: kubelet conditions, addresses, container statuses; PodScheduled kept', () => {
    const previous = {
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-07T09:59:00Z' }],
    };
    const status = buildPodStatus(view([container('app', running)], previous));
    assert.deepEqual(status, {
      phase: 'Running',
      conditions: [
        {
          type: 'PodReadyToStartContainers',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: '2026-12-07T10:00:00Z',
        },
        {
          type: 'Initialized',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: '2026-12-07T10:00:00Z',
        },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-07T10:00:00Z' },
        {
          type: 'ContainersReady',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: '2026-12-07T10:00:00Z',
        },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-07T09:59:00Z' },
      ],
      hostIP: '127.87.1.1',
      hostIPs: [{ ip: '127.87.1.1' }],
      podIP: '127.87.1.2',
      podIPs: [{ ip: '127.87.1.2' }],
      startTime: '2026-12-07T10:00:00Z',
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: '2026-12-07T10:00:00Z' } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: 'img',
          imageID: 'img@sha256:ab',
          containerID: 'spillway://c1',
          started: true,
        },
      ],
    });
  });

  test('unready containers are named; transition times move only when a status changes', () => {
    const first = buildPodStatus(
      view([container('app', running), container('istio-proxy', running, { ready: false })]),
    );
    const ready = (first['conditions'] as Array<Record<string, unknown>>).find((c) => c['type'] === 'Ready');
    assert.deepEqual(ready, {
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [istio-proxy]',
      lastProbeTime: null,
      lastTransitionTime: kubeTime(t0),
    });
    clock.advance(65_000);
    const later = buildPodStatus(
      view([container('app', running), container('istio-proxy', running)], first, clock.wallMs()),
    );
    const conditions = later['conditions'] as Array<Record<string, unknown>>;
    assert.equal(
      conditions.find((c) => c['type'] === 'Ready')?.['lastTransitionTime'],
      '2026-12-07T10:01:05Z',
    );
    assert.equal(
      conditions.find((c) => c['type'] === 'Initialized')?.['lastTransitionTime'],
      '2026-12-07T10:00:00Z',
    );
  });

  test('a crash-looping container shows its waiting reason, last termination and restart count', () => {
    const status = buildPodStatus(
      view([container('app', crashLoop, { lastTerminated: exited(1), restartCount: 2 })]),
    );
    const [cs] = status['containerStatuses'] as Array<Record<string, unknown>>;
    assert.deepEqual(cs?.['state'], { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } });
    assert.deepEqual(cs?.['lastState'], {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: '2026-12-07T10:00:00Z',
        finishedAt: '2026-12-07T10:00:01Z',
        containerID: 'spillway://c1',
      },
    });
    assert.equal(cs?.['restartCount'], 2);
    assert.equal(cs?.['ready'], false);
  });

  test('a container that never started has no imageID or containerID', () => {
    const status = buildPodStatus(view([container('app', pulling)]));
    const [cs] = status['containerStatuses'] as Array<Record<string, unknown>>;
    assert.equal(cs?.['imageID'], '');
    assert.equal('containerID' in (cs ?? {}), false);
    assert.equal(status['phase'], 'Pending');
  });
});
