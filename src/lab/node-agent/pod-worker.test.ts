import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeClock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import type { KubeResponse, KubeRest } from './kube-rest.js';
import type { KubeletEvents } from './kubelet-events.js';
import { parseIpv4Cidr, PodIpAllocator, type Ipv4Cidr } from './pod-address.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import { ProcessRegistry } from './process-registry.js';
import { BootstrapValidator } from './bootstrap-validator.js';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** Records the API calls a worker makes; every call succeeds. */
class RecordingRest {
  readonly calls: Call[] = [];
  private answer(method: string, path: string, body: unknown): Promise<KubeResponse> {
    this.calls.push({ method, path, body });
    return Promise.resolve({ status: 200, body: {} });
  }
  patch(path: string, body: unknown): Promise<KubeResponse> {
    return this.answer('PATCH', path, body);
  }
  delete(path: string, body?: unknown): Promise<KubeResponse> {
    return this.answer('DELETE', path, body);
  }
  get(path: string): Promise<KubeResponse> {
    return this.answer('GET', path, undefined);
  }
  post(path: string, body: unknown): Promise<KubeResponse> {
    return this.answer('POST', path, body);
  }
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never: ${what}`);
}

function setup(): {
  worker: PodWorker;
  rest: RecordingRest;
  clock: FakeClock;
  allocator: PodIpAllocator;
  events: string[];
} {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-pod-worker-'));
  dirs.push(dir);
  const clock = new FakeClock(0, Date.UTC(2026, 11, 7, 12, 0, 0));
  const rest = new RecordingRest();
  const events: string[] = [];
  const allocator = new PodIpAllocator(parseIpv4Cidr('127.87.9.0/24') as Ipv4Cidr);
  const deps: PodWorkerDeps = {
    clock,
    log: createLogger('pod-worker-test'),
    rest: rest as unknown as KubeRest,
    events: {
      record: (_p: unknown, c: unknown, t: string, r: string, m: string) =>
        events.push(`${t} ${r} ${String(c)}: ${m}`),
      forget: () => {},
    } as unknown as KubeletEvents,
    nodeName: 'node-9',
    hostIP: '127.87.9.1',
    podsDir: dir,
    clusterId: 'cluster-2',
    network: '',
    locality: () => ({ region: 'r', zone: 'z', subZone: '' }),
    allocator: () => allocator,
    onAddressesChanged: () => {},
    processes: new ProcessRegistry(dir),
    validator: new BootstrapValidator(clock),
    runProbe: () => Promise.resolve({ result: 'success', output: '' }),
    crashBackoff: { initialMs: 10_000, maxMs: 300_000 },
    imageBackoff: { initialMs: 10_000, maxMs: 300_000 },
    proxyBootstrap: () => Promise.reject(new Error('no proxy here')),
  };
  const pod = {
    metadata: { name: 'graceful', namespace: 'default', uid: 'u-42' },
    spec: { nodeName: 'node-9', containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
    status: {
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-07T11:59:59Z' }],
    },
  };
  return { worker: new PodWorker(pod, deps), rest, clock, allocator, events };
}

describe('pod worker', () => {
  test('status changes are coalesced into one merge patch of the status subresource with a UID', async () => {
    const { worker, rest, clock } = setup();
    worker.start();
    await until('the container runs', () => worker.pids().length === 1);
    assert.equal(rest.calls.length, 0, 'nothing written before the coalescing delay');
    clock.advance(10);
    await until('one status write', () => rest.calls.length === 1);
    const [call] = rest.calls;
    assert.equal(call?.method, 'PATCH');
    assert.equal(call?.path, '/api/v1/namespaces/default/pods/graceful/status');
    const body = call?.body as { metadata: { uid: string }; status: Record<string, unknown> };
    assert.deepEqual(body.metadata, { uid: 'u-42' });
    assert.equal(body.status['podIP'], '127.87.9.2');
    assert.equal(body.status['phase'], 'Running');
    await worker.terminate(0, true);
  });

  test('graceful deletion: containers stopped, final status written, then deleted with grace 0 and a UID precondition', async () => {
    const { worker, rest, clock, allocator, events } = setup();
    worker.start();
    await until('the container runs', () => worker.pids().length === 1);
    const [pid] = worker.pids();
    clock.advance(10);
    await until('first status', () => rest.calls.length === 1);
    worker.update({
      metadata: {
        name: 'graceful',
        namespace: 'default',
        uid: 'u-42',
        deletionTimestamp: '2026-12-07T12:00:05Z',
        deletionGracePeriodSeconds: 30,
      },
      spec: {
        nodeName: 'node-9',
        terminationGracePeriodSeconds: 30,
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    await worker.terminate(0, false); // the same termination the update started
    assert.throws(() => process.kill(pid as number, 0), 'the process is gone');
    const [, final, remove] = rest.calls;
    assert.equal(final?.method, 'PATCH');
    const status = (final?.body as { status: Record<string, unknown> }).status;
    assert.equal(status['phase'], 'Failed', 'sleep died of the SIGTERM (143): a terminal, failed pod');
    const [cs] = status['containerStatuses'] as Array<{ state: { terminated?: { exitCode: number } } }>;
    assert.equal(cs?.state.terminated?.exitCode, 143);
    assert.deepEqual(remove, {
      method: 'DELETE',
      path: '/api/v1/namespaces/default/pods/graceful',
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'u-42' },
      },
    });
    assert.equal(allocator.inUse().size, 0, 'the address went back to the pool');
    assert.ok(events.includes('Normal Killing app: Stopping container app'));
  });

  test('a pod already gone from the API is only torn down: no status, no delete', async () => {
    const { worker, rest, clock } = setup();
    worker.start();
    await until('the container runs', () => worker.pids().length === 1);
    await worker.terminate(1000, true);
    clock.advance(1000);
    assert.deepEqual(rest.calls, []);
  });
});
