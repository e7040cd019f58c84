/**
 * The lab API server's REST surface at the HTTP level: error Status objects and codes, watch
 * semantics (410 Expired as an ERROR event, bookmarks, timeouts), pagination, dry run, the status
 * and scale subresources, version rewriting of Istio kinds, and hostile input.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/wait-for.js';
import { startTestCluster, type TestCluster } from './support/kube-fixture.js';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): Record<string, unknown>;
}

function call(
  cluster: TestCluster,
  method: string,
  path: string,
  options: { body?: string | Buffer; contentType?: string; token?: string; accept?: string } = {},
): Promise<Reply> {
  const url = new URL(path, cluster.server.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: cluster.server.caPem,
        headers: {
          Authorization: `Bearer ${options.token ?? cluster.server.token}`,
          ...(options.contentType !== undefined ? { 'Content-Type': options.contentType } : {}),
          ...(options.accept !== undefined ? { Accept: options.accept } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const cmPath = '/api/v1/namespaces/default/configmaps';

function cm(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...extra },
    data: { k: 'v' },
  });
}

describe('lab API server over HTTP', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({ address: '127.31.0.4', historyLimit: 5 });
  });

  after(async () => {
    await cluster.close();
  });

  test('a request without the token is 401 with an Unauthorized Status', async () => {
    const r = await call(cluster, 'GET', '/api/v1/pods', { token: 'wrong' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  test('a NotFound Status is shaped as kube-apiserver shapes it', async () => {
    const r = await call(cluster, 'GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    const unknown = await call(cluster, 'GET', '/apis/apps/v1/namespaces/default/widgets');
    assert.equal(unknown.status, 404);
  });

  test('malformed bodies are 400, unknown patch types 415, oversized bodies 413, and the server keeps serving', async () => {
    const bad = await call(cluster, 'POST', cmPath, {
      body: '{"apiVersion": "v1", "kind": ',
      contentType: 'application/json',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json()['reason'], 'BadRequest');
    const notObject = await call(cluster, 'POST', cmPath, { body: '[1,2]', contentType: 'application/json' });
    assert.equal(notObject.status, 400);
    await call(cluster, 'POST', cmPath, { body: cm('target'), contentType: 'application/json' });
    const patch = await call(cluster, 'PATCH', `${cmPath}/target`, { body: '{}', contentType: 'text/plain' });
    assert.equal(patch.status, 415);
    assert.equal(patch.json()['reason'], 'UnsupportedMediaType');
    const huge = await call(cluster, 'POST', cmPath, {
      body: Buffer.alloc(3 * 1024 * 1024 + 10, 0x20),
      contentType: 'application/json',
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.json()['reason'], 'RequestEntityTooLarge');
    const method = await call(cluster, 'PUT', cmPath, { body: cm('x'), contentType: 'application/json' });
    assert.equal(method.status, 405);
    const health = await call(cluster, 'GET', '/healthz');
    assert.equal(health.text, 'ok');
  });

  test('garbage protobuf, bad query values and an aborted upload leave the server serving', async () => {
    const proto = await call(cluster, 'POST', cmPath, {
      body: Buffer.from('k8s\0\x0a\xff\xff\xff', 'latin1'),
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    assert.equal(proto.status, 400);
    const limit = await call(cluster, 'GET', `${cmPath}?limit=-3`);
    assert.equal(limit.status, 400);
    const selector = await call(
      cluster,
      'GET',
      `${cmPath}?labelSelector=${encodeURIComponent('a in (b')}&watch=1`,
    );
    assert.equal(selector.status, 400);
    const rv = await call(cluster, 'GET', `${cmPath}?watch=1&resourceVersion=abc`);
    assert.equal(rv.status, 400);
    await new Promise<void>((resolve) => {
      const req = httpsRequest(new URL(cmPath, cluster.server.url), {
        method: 'POST',
        ca: cluster.server.caPem,
        headers: { Authorization: `Bearer ${cluster.server.token}`, 'Content-Length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"apiVersion":');
      setImmediate(() => {
        req.destroy();
        resolve();
      });
    });
    const list = await call(cluster, 'GET', cmPath);
    assert.equal(list.status, 200);
  });

  test('an update with a stale resourceVersion is 409 Conflict', async () => {
    const created = (
      await call(cluster, 'POST', cmPath, { body: cm('rv'), contentType: 'application/json' })
    ).json();
    const rv = (created['metadata'] as { resourceVersion: string }).resourceVersion;
    const changed = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'rv', resourceVersion: rv },
      data: { k: 'changed' },
    });
    const ok = await call(cluster, 'PUT', `${cmPath}/rv`, { body: changed, contentType: 'application/json' });
    assert.equal(ok.status, 200);
    const stale = await call(cluster, 'PUT', `${cmPath}/rv`, {
      body: cm('rv', { resourceVersion: rv }),
      contentType: 'application/json',
    });
    assert.equal(stale.status, 409);
    assert.match(String(stale.json()['message']), /the object has been modified/);
  });

  test('dryRun=All returns the object without storing it, and generateName names it', async () => {
    const dry = await call(cluster, 'POST', `${cmPath}?dryRun=All`, {
      body: cm('dry'),
      contentType: 'application/json',
    });
    assert.equal(dry.status, 201);
    assert.equal((await call(cluster, 'GET', `${cmPath}/dry`)).status, 404);
    const generated = await call(cluster, 'POST', cmPath, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }),
      contentType: 'application/json',
    });
    assert.equal(generated.status, 201);
    assert.match(String((generated.json()['metadata'] as { name: string }).name), /^gen-[a-z0-9]{5}$/);
  });

  test('limit and continue page through a list', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await call(cluster, 'POST', cmPath, {
        body: cm(name, { labels: { paged: 'yes' } }),
        contentType: 'application/json',
      });
    }
    const names: string[] = [];
    let token = '';
    for (let page = 0; page < 5; page++) {
      const r = (
        await call(
          cluster,
          'GET',
          `${cmPath}?labelSelector=paged%3Dyes&limit=2${token === '' ? '' : `&continue=${token}`}`,
        )
      ).json();
      names.push(...(r['items'] as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name));
      token = (r['metadata'] as { continue?: string }).continue ?? '';
      if (token === '') break;
    }
    assert.deepEqual(names, ['page-a', 'page-b', 'page-c']);
  });

  test('a watch from a resourceVersion older than the history gets a 410 Expired ERROR event', async () => {
    for (let i = 0; i < 7; i++)
      await call(cluster, 'POST', cmPath, { body: cm(`churn-${i}`), contentType: 'application/json' });
    const r = await call(cluster, 'GET', `${cmPath}?watch=1&resourceVersion=1`);
    assert.equal(r.status, 200);
    const event = JSON.parse(r.text.trim()) as {
      type: string;
      object: { code: number; reason: string; message: string };
    };
    assert.equal(event.type, 'ERROR');
    assert.equal(event.object.code, 410);
    assert.equal(event.object.reason, 'Expired');
    assert.match(event.object.message, /too old resource version: 1/);
  });

  test('a watch streams changes after its resourceVersion, sends bookmarks when allowed, and ends at timeoutSeconds', async () => {
    const list = (await call(cluster, 'GET', cmPath)).json();
    const rv = (list['metadata'] as { resourceVersion: string }).resourceVersion;
    const pending = call(
      cluster,
      'GET',
      `${cmPath}?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    await call(cluster, 'POST', cmPath, { body: cm('watched'), contentType: 'application/json' });
    const r = await pending;
    const events = r.text
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { type: string; object: { metadata: { name?: string; resourceVersion: string } } },
      );
    assert.equal(events[0]?.type, 'ADDED');
    assert.equal(events[0]?.object.metadata.name, 'watched');
    assert.ok(
      events.some((e) => e.type === 'BOOKMARK'),
      'a bookmark within a second (interval 200 ms in tests)',
    );
  });

  test('the status subresource changes only status; the scale subresource maps to spec.replicas', async () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scaled' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'scaled' } },
        template: {
          metadata: { labels: { app: 'scaled' } },
          spec: { containers: [{ name: 'c', image: 'i' }] },
        },
      },
    };
    const base = '/apis/apps/v1/namespaces/default/deployments';
    const created = await call(cluster, 'POST', base, {
      body: JSON.stringify(deploy),
      contentType: 'application/json',
    });
    assert.equal(created.status, 201, created.text);
    const status = await call(cluster, 'PUT', `${base}/scaled/status`, {
      body: JSON.stringify({ ...deploy, spec: { ...deploy.spec, replicas: 7 }, status: { replicas: 1 } }),
      contentType: 'application/json',
    });
    assert.equal(status.status, 200, status.text);
    assert.equal((status.json()['spec'] as { replicas: number }).replicas, 1);
    assert.deepEqual(status.json()['status'], { replicas: 1 });
    const scale = (await call(cluster, 'GET', `${base}/scaled/scale`)).json();
    assert.equal(scale['kind'], 'Scale');
    assert.equal(scale['apiVersion'], 'autoscaling/v1');
    assert.deepEqual(scale['status'], { replicas: 1, selector: 'app=scaled' });
    const put = await call(cluster, 'PUT', `${base}/scaled/scale`, {
      body: JSON.stringify({ ...scale, spec: { replicas: 3 } }),
      contentType: 'application/json',
    });
    assert.equal(put.status, 200, put.text);
    const after = (await call(cluster, 'GET', `${base}/scaled`)).json();
    assert.equal((after['spec'] as { replicas: number }).replicas, 3);
    assert.equal((after['metadata'] as { generation: number }).generation, 2);
  });

  test('an Istio kind is stored once and served at each version with that apiVersion', async () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      metadata: { name: 'multi' },
      spec: { host: 'multi' },
    };
    const created = await call(
      cluster,
      'POST',
      '/apis/networking.istio.io/v1beta1/namespaces/default/destinationrules',
      {
        body: JSON.stringify(dr),
        contentType: 'application/json',
      },
    );
    assert.equal(created.status, 201, created.text);
    for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
      const r = await call(
        cluster,
        'GET',
        `/apis/networking.istio.io/${version}/namespaces/default/destinationrules/multi`,
      );
      assert.equal(r.json()['apiVersion'], `networking.istio.io/${version}`);
    }
  });

  test('the aggregated discovery document lists every group with its resources', async () => {
    const r = await call(cluster, 'GET', '/apis', {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    assert.match(String(r.headers['content-type']), /as=APIGroupDiscoveryList/);
    const items = r.json()['items'] as Array<{ metadata: { name: string } }>;
    assert.deepEqual(
      items.map((i) => i.metadata.name),
      ['discovery.k8s.io', 'apps', 'networking.istio.io', 'security.istio.io'],
    );
    await waitFor(
      'plain discovery too',
      async () => (await call(cluster, 'GET', '/apis/apps/v1')).status === 200,
    );
  });
});
