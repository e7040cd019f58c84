/**
 * KubeClusterWatch against a misbehaving API server (a scripted HTTP fake on loopback; the lab API
 * server never misbehaves like this): a list failing with 500 is retried with backoff, a list that
 * hangs is aborted and retried, objects without a name are dropped and counted, a throwing consumer
 * is counted, a 410 in the watch stream makes client-node relist (and report what vanished), and an
 * Istio kind the cluster does not serve (404) counts as synced. Real client-node informers throughout.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClusterWatch, type KubeObjectEvent } from '../../src/kube/informers/kube-cluster-watch.js';
import { waitFor } from '../support/wait-for.js';

type ListScript = 'ok' | 'fail' | 'hang' | 'missing';

interface Collection {
  items: unknown[];
  /** What each list attempt does, in order; the last entry repeats. */
  script: ListScript[];
  lists: number;
  watches: http.ServerResponse[];
}

const kinds: Record<string, string> = {
  '/api/v1/namespaces': 'NamespaceList',
  '/api/v1/nodes': 'NodeList',
  '/api/v1/services': 'ServiceList',
  '/apis/discovery.k8s.io/v1/endpointslices': 'EndpointSliceList',
  '/api/v1/pods': 'PodList',
};

const named = (name: string, namespace?: string) => ({
  metadata: { name, resourceVersion: '1', ...(namespace !== undefined ? { namespace } : {}) },
});

class ScriptedApi {
  readonly collections = new Map<string, Collection>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly hung: http.ServerResponse[] = [];
  url = '';

  collection(path: string): Collection {
    let c = this.collections.get(path);
    if (c === undefined)
      this.collections.set(path, (c = { items: [], script: ['ok'], lists: 0, watches: [] }));
    return c;
  }

  async listen(host: string): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sends one watch event to every open watch of `path`. */
  send(path: string, event: unknown): void {
    for (const res of this.collection(path).watches) res.write(`${JSON.stringify(event)}\n`);
  }

  /** Ends every open watch of `path`. */
  endWatches(path: string): void {
    const c = this.collection(path);
    for (const res of c.watches) res.end();
    c.watches = [];
  }

  close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const c = this.collection(url.pathname);
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      c.watches.push(res);
      return;
    }
    const step = c.script[Math.min(c.lists, c.script.length - 1)] ?? 'ok';
    c.lists++;
    if (step === 'hang') {
      this.hung.push(res);
      return;
    }
    if (step === 'fail' || step === 'missing') {
      const code = step === 'fail' ? 500 : 404;
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: kinds[url.pathname] ?? 'List',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(c.lists) },
        items: c.items,
      }),
    );
  }
}

describe('KubeClusterWatch against a misbehaving API server', () => {
  const api = new ScriptedApi();
  let watch: KubeClusterWatch | undefined;
  const events: KubeObjectEvent[] = [];
  const errors: string[] = [];

  before(async () => {
    await api.listen('127.81.5.1');
    Object.assign(api.collection('/api/v1/namespaces'), {
      items: [named('default'), { metadata: {} }],
      script: ['fail', 'ok'],
    });
    Object.assign(api.collection('/api/v1/pods'), {
      items: [named('p1', 'default')],
      script: ['hang', 'ok'],
    });
    api.collection('/api/v1/services').items = [named('svc-1', 'default'), named('svc-2', 'default')];
    api.collection('/apis/networking.istio.io/v1/destinationrules').script = ['missing'];
    const kc = new KubeConfig();
    kc.loadFromOptions({
      // client-node talks plain HTTP only with skipTLSVerify.
      clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
      currentContext: 'fake',
    });
    watch = new KubeClusterWatch({
      clusterId: 'fake',
      kubeconfig: kc,
      isConfigCluster: true,
      backoff: { initialMs: 20, maxMs: 200 },
      listTimeoutMs: 300,
    });
    watch.onObject((e) => {
      if (e.object.metadata.name === 'boom') throw new Error('consumer bug');
      events.push(e);
    });
    watch.onStateChange((s) => {
      if (s.lastError !== undefined) errors.push(s.lastError);
    });
    watch.start();
  });

  after(async () => {
    await watch?.stop();
    await api.close();
  });

  test('retries a failing list and aborts a hanging one, then syncs; a missing CRD counts as synced', async () => {
    const w = watch as KubeClusterWatch;
    await waitFor('every kind synced', () => w.state().hasSynced);
    assert.equal(await w.whenSynced(), true);
    const state = w.state();
    const ns = state.kinds.find((k) => k.kind === 'Namespace');
    const pods = state.kinds.find((k) => k.kind === 'Pod');
    const rules = state.kinds.find((k) => k.kind === 'DestinationRule');
    assert.ok(ns !== undefined && pods !== undefined && rules !== undefined);
    assert.ok(ns.restarts >= 1 && ns.lists === 1);
    assert.ok(pods.restarts >= 1 && pods.lists === 1);
    assert.ok(
      errors.some((e) => e.startsWith('Namespace: ') && /500|Internal Server Error/.test(e)),
      errors.join('\n'),
    );
    assert.ok(errors.includes('Pod: list timed out after 300 ms'), errors.join('\n'));
    assert.deepEqual([rules.isAbsent, rules.hasSynced, rules.lastError], [true, true, undefined]);
    await waitFor('every watch connected', () => w.state().isConnected);
    assert.equal(w.state().lastError, undefined);
    assert.ok(events.some((e) => e.kind === 'Pod' && e.object.metadata.name === 'p1'));
  });

  test('drops objects without a name and survives a throwing consumer', async () => {
    const w = watch as KubeClusterWatch;
    const nsState = () => w.state().kinds.find((k) => k.kind === 'Namespace');
    assert.equal(nsState()?.droppedObjects, 1, 'the nameless listed namespace');
    api.send('/api/v1/namespaces', { type: 'ADDED', object: { metadata: { resourceVersion: '5' } } });
    api.send('/api/v1/namespaces', { type: 'ADDED', object: named('boom') });
    api.send('/api/v1/namespaces', {
      type: 'ADDED',
      object: { ...named('after'), metadata: { name: 'after', resourceVersion: '7' } },
    });
    await waitFor('the namespace after the bad ones', () =>
      events.some((e) => e.kind === 'Namespace' && e.object.metadata.name === 'after'),
    );
    assert.equal(nsState()?.droppedObjects, 2);
    assert.equal(nsState()?.consumerErrors, 1);
    assert.equal(w.state().isConnected, true);
  });

  test('relists after 410 Gone in the watch and reports what disappeared meanwhile', async () => {
    const services = api.collection('/api/v1/services');
    const listsBefore = services.lists;
    services.items = [named('svc-1', 'default')];
    api.send('/api/v1/services', { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    api.endWatches('/api/v1/services');
    await waitFor('svc-2 deleted by the relist', () =>
      events.some((e) => e.kind === 'Service' && e.type === 'delete' && e.object.metadata.name === 'svc-2'),
    );
    assert.equal(services.lists, listsBefore + 1);
    assert.ok(
      !events.some((e) => e.kind === 'Service' && e.type === 'delete' && e.object.metadata.name === 'svc-1'),
    );
  });
});
