/**
 * Issue 4's acceptance case for translation: the seed manifests in two clusters plus
 * destination-rules.yaml, seen by the proxy of the `mocka-ap-northeast-1a` pod in cluster-2 and by
 * the ingress gateway; every resource is canonical Envoy proto JSON and accepted by the Spillway
 * proxy's builders.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { defaultMeshConfig } from '../../src/istio/istio-config.js';
import { resolveProxyContext } from '../../src/translate/resolve-proxy-context.js';
import { Translator } from '../../src/translate/translator.js';
import { gatewayPodIp, seedIstio, seedRegistry, sidecarNode } from './support/seed-lab.js';
import { assertCanonicalProtoJson, assertProxyAccepts } from './support/resource-validity.js';

const registry = seedRegistry();
const mockb = 'outbound|8000||mockb.default.svc.cluster.local';
const defaults = { clusterId: 'cluster-2', network: '' };

function mockaProxyIn1a() {
  const workload = [...registry.workloads.values()].find(
    (w) =>
      w.clusterId === 'cluster-2' && w.labels['app'] === 'mocka' && w.locality.zone === 'ap-northeast-1a',
  );
  assert.ok(workload, 'the seed has a mocka pod in ap-northeast-1a');
  return resolveProxyContext(sidecarNode(workload.name, workload.address, 'cluster-2'), registry, defaults);
}

type Json = Record<string, unknown>;

function priorityByZone(cla: Json): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of cla['endpoints'] as Json[])
    out[(g['locality'] as Json)['zone'] as string] = (g['priority'] as number | undefined) ?? 0;
  return out;
}

test('the mocka-ap-northeast-1a proxy gets mockb with the seed DestinationRule translated field by field and panic mode off', () => {
  const proxy = mockaProxyIn1a();
  assert.equal(proxy.locality.zone, 'ap-northeast-1a');
  const { resources } = new Translator().translate({
    registry,
    istio: seedIstio(true),
    mesh: defaultMeshConfig,
    proxy,
  });
  const cluster = resources.get(XdsTypeUrl.cluster)?.get(mockb);
  assert.ok(cluster);
  assert.deepEqual(cluster['outlier_detection'], {
    consecutive_5xx: 1,
    enforcing_consecutive_5xx: 100,
    interval: '30s',
    base_ejection_time: '300s',
    max_ejection_percent: 100,
    split_external_local_origin_errors: true,
    consecutive_local_origin_failure: 1,
    enforcing_consecutive_local_origin_failure: 100,
    enforcing_local_origin_success_rate: 0,
    enforcing_success_rate: 0,
  });
  // healthy_panic_threshold {value: 0}: the Percent's 0 is implicit in normalized JSON.
  assert.deepEqual(cluster['common_lb_config'], { healthy_panic_threshold: {} });
  assert.equal(cluster['lb_policy'], 'LEAST_REQUEST');
  assert.equal(cluster['connect_timeout'], '10s');
  assert.deepEqual((cluster['metadata'] as Json)['filter_metadata'], {
    istio: {
      services: [{ host: 'mockb.default.svc.cluster.local', name: 'mockb', namespace: 'default' }],
      config: '/apis/networking.istio.io/v1/namespaces/default/destination-rule/mockb',
    },
  });
});

test('with the DestinationRule the assignment puts ap-northeast-1a at 0, ap-northeast-1b at 1 and both cn-hangzhou zones at 2', () => {
  const proxy = mockaProxyIn1a();
  const { resources, explanation } = new Translator().translate({
    registry,
    istio: seedIstio(true),
    mesh: defaultMeshConfig,
    proxy,
  });
  const cla = resources.get(XdsTypeUrl.clusterLoadAssignment)?.get(mockb) as Json;
  assert.deepEqual(priorityByZone(cla), {
    'ap-northeast-1a': 0,
    'ap-northeast-1b': 1,
    'cn-hangzhou-h': 2,
    'cn-hangzhou-k': 2,
  });
  for (const g of cla['endpoints'] as Json[]) assert.equal(g['load_balancing_weight'], 1);
  assert.equal(explanation.assignments.get(mockb)?.mode, 'failover');
  assert.match(explanation.assignments.get(mockb)?.reason ?? '', /destination-rule\/mockb/);
});

test('without the DestinationRule every endpoint is at priority 0 and the cluster has no outlier detection', () => {
  const proxy = mockaProxyIn1a();
  const { resources, explanation } = new Translator().translate({
    registry,
    istio: seedIstio(false),
    mesh: defaultMeshConfig,
    proxy,
  });
  const cla = resources.get(XdsTypeUrl.clusterLoadAssignment)?.get(mockb) as Json;
  assert.deepEqual(priorityByZone(cla), {
    'ap-northeast-1a': 0,
    'ap-northeast-1b': 0,
    'cn-hangzhou-h': 0,
    'cn-hangzhou-k': 0,
  });
  const cluster = resources.get(XdsTypeUrl.cluster)?.get(mockb) as Json;
  assert.equal(cluster['outlier_detection'], undefined);
  assert.deepEqual(cluster['common_lb_config'], {});
  assert.equal(explanation.assignments.get(mockb)?.mode, 'flat');
});

test('a proxy in cn-hangzhou-k sees its own zone first: priorities are relative to each proxy', () => {
  const workload = [...registry.workloads.values()].find(
    (w) => w.labels['app'] === 'mocka' && w.locality.zone === 'cn-hangzhou-k',
  );
  assert.ok(workload);
  const proxy = resolveProxyContext(
    sidecarNode(workload.name, workload.address, 'cluster-1'),
    registry,
    defaults,
  );
  const { resources } = new Translator().translate({
    registry,
    istio: seedIstio(true),
    mesh: defaultMeshConfig,
    proxy,
  });
  const cla = resources.get(XdsTypeUrl.clusterLoadAssignment)?.get(mockb) as Json;
  assert.deepEqual(priorityByZone(cla), {
    'cn-hangzhou-k': 0,
    'cn-hangzhou-h': 1,
    'ap-northeast-1a': 2,
    'ap-northeast-1b': 2,
  });
});

test('the sidecar gets the HTTP-proxy listener, the http_proxy routes per host:port, and an inbound listener on its pod IP', () => {
  const proxy = mockaProxyIn1a();
  const { resources } = new Translator().translate({
    registry,
    istio: seedIstio(true),
    mesh: defaultMeshConfig,
    proxy,
  });
  const listeners = resources.get(XdsTypeUrl.listener);
  assert.deepEqual(
    [...(listeners?.keys() ?? [])].sort(),
    ['127.0.0.1_15001', `${proxy.ipAddresses[0]}_8000`].sort(),
  );
  const route = resources.get(XdsTypeUrl.routeConfiguration)?.get('http_proxy') as Json;
  const vhosts = route['virtual_hosts'] as Json[];
  const b = vhosts.find((v) => v['name'] === 'mockb.default.svc.cluster.local:8000') as Json;
  assert.deepEqual(b['domains'], [
    'mockb.default.svc.cluster.local:8000',
    'mockb.default.svc.cluster.local.:8000',
    'mockb:8000',
    'mockb.default.svc:8000',
    'mockb.default:8000',
    `${registry.services.get('mockb.default.svc.cluster.local')?.clusters.get('cluster-2')?.clusterIP}:8000`,
  ]);
  const action = ((b['routes'] as Json[])[0] as Json)['route'] as Json;
  assert.deepEqual(action, {
    cluster: mockb,
    timeout: '0s',
    retry_policy: {
      retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      num_retries: 2,
      retry_host_predicate: [
        {
          name: 'envoy.retry_host_predicates.previous_hosts',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
          },
        },
      ],
      host_selection_retry_max_attempts: 5,
    },
  });
  assert.equal((vhosts.at(-1) as Json)['name'], 'block_all');
  const inbound = resources.get(XdsTypeUrl.cluster)?.get('inbound|8000||') as Json;
  assert.equal(inbound['type'], 'STATIC');
  assert.deepEqual(
    ((((inbound['load_assignment'] as Json)['endpoints'] as Json[])[0] as Json)['lb_endpoints'] as Json[])[0],
    {
      endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8000 } } },
    },
  );
});

test("the inbound route retries resets before the app (Istio's ENABLE_INBOUND_RETRY_POLICY) unless the flag is off", () => {
  const proxy = mockaProxyIn1a();
  const inboundRoute = (mesh: typeof defaultMeshConfig): Json => {
    const { resources } = new Translator().translate({ registry, istio: seedIstio(true), mesh, proxy });
    const listener = resources.get(XdsTypeUrl.listener)?.get(`${proxy.ipAddresses[0]}_8000`) as Json;
    const hcm = ((((listener['filter_chains'] as Json[])[0] as Json)['filters'] as Json[])[0] as Json)[
      'typed_config'
    ] as Json;
    const vhost = ((hcm['route_config'] as Json)['virtual_hosts'] as Json[])[0] as Json;
    return ((vhost['routes'] as Json[])[0] as Json)['route'] as Json;
  };
  assert.deepEqual(inboundRoute(defaultMeshConfig)['retry_policy'], {
    retry_on: 'reset-before-request',
    num_retries: 2,
  });
  assert.equal(
    inboundRoute({ ...defaultMeshConfig, enableInboundRetryPolicy: false })['retry_policy'],
    undefined,
  );
});

test('the ingress gateway gets a listener on the Service target port and the seed VirtualService routes to mocka:8000', () => {
  const node = {
    id: `router~${gatewayPodIp}~istio-ingressgateway-7d4f8b9c6-abcde.istio-system~istio-system.svc.cluster.local`,
    metadata: { CLUSTER_ID: 'cluster-2' },
  };
  const proxy = resolveProxyContext(node, registry, defaults);
  assert.equal(proxy.type, 'router');
  assert.equal(proxy.labels['istio'], 'ingressgateway');
  const { resources, explanation } = new Translator().translate({
    registry,
    istio: seedIstio(true),
    mesh: defaultMeshConfig,
    proxy,
  });
  const listener = resources.get(XdsTypeUrl.listener)?.get(`${gatewayPodIp}_8080`) as Json;
  assert.ok(listener, 'the Gateway port 80 maps to the gateway Service target port 8080');
  const hcm = ((((listener['filter_chains'] as Json[])[0] as Json)['filters'] as Json[])[0] as Json)[
    'typed_config'
  ] as Json;
  assert.equal((hcm['rds'] as Json)['route_config_name'], 'http.8080');
  assert.equal(hcm['use_remote_address'], true);
  assert.equal(hcm['server_name'], 'istio-envoy');
  const route = resources.get(XdsTypeUrl.routeConfiguration)?.get('http.8080') as Json;
  const vhosts = route['virtual_hosts'] as Json[];
  assert.equal(vhosts.length, 1);
  assert.equal((vhosts[0] as Json)['name'], '*:80');
  assert.deepEqual((vhosts[0] as Json)['domains'], ['*']);
  const r = ((vhosts[0] as Json)['routes'] as Json[])[0] as Json;
  assert.equal(r['name'], 'test');
  assert.equal((r['route'] as Json)['cluster'], 'outbound|8000||mocka.default.svc.cluster.local');
  assert.deepEqual(r['metadata'], {
    filter_metadata: {
      istio: { config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/demoapp-vs' },
    },
  });
  assert.ok(resources.get(XdsTypeUrl.cluster)?.has('outbound|8000||mocka.default.svc.cluster.local'));
  assert.deepEqual(
    explanation.routes.get('http.8080')?.map((ref) => `${ref.kind}/${ref.name}`),
    ['Gateway/mocka', 'VirtualService/demoapp-vs'],
  );
});

test('every resource of the sidecar and the gateway is canonical proto JSON, consistent, and accepted by the proxy builders', () => {
  const translator = new Translator();
  const gateway = resolveProxyContext(
    {
      id: `router~${gatewayPodIp}~istio-ingressgateway-7d4f8b9c6-abcde.istio-system~istio-system.svc.cluster.local`,
    },
    registry,
    defaults,
  );
  for (const withRules of [true, false]) {
    for (const proxy of [mockaProxyIn1a(), gateway]) {
      const { resources } = translator.translate({
        registry,
        istio: seedIstio(withRules),
        mesh: defaultMeshConfig,
        proxy,
      });
      assert.ok(assertCanonicalProtoJson(resources) > 8);
      assertProxyAccepts(resources);
    }
  }
});
