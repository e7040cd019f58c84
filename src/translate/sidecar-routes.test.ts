import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import { defaultMeshConfig } from '../istio/istio-config.js';
import { generateProxyResources } from './generate-proxy-resources.js';
import { resolveProxyContext } from './resolve-proxy-context.js';
import { configEntry, istioSnapshot, RegistryBuilder } from './testing/registry-builder.js';

type Json = Record<string, unknown>;

function lab(): RegistryBuilder {
  return new RegistryBuilder()
    .service({
      name: 'web',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      clusterIPs: { c1: '10.0.0.1' },
    })
    .service({
      name: 'api',
      namespace: 'other',
      ports: [{ name: 'http-api', port: 9000 }],
      clusterIPs: { c1: '10.0.0.2' },
    })
    .service({ name: 'hidden', namespace: 'other', exportTo: ['.'], clusterIPs: { c1: '10.0.0.3' } })
    .service({ name: 'db', ports: [{ name: 'tcp-db', port: 5432 }], clusterIPs: { c1: '10.0.0.4' } })
    .service({
      name: 'edge',
      namespace: 'istio-system',
      selector: { istio: 'ingressgateway' },
      ports: [{ name: 'http2', port: 80, targetPort: 8080 }],
      clusterIPs: { c1: '10.0.0.5' },
    })
    .pod({ name: 'web-1', clusterId: 'c1', ip: '127.84.5.1', zone: 'z1a', labels: { app: 'web' } })
    .pod({
      name: 'api-1',
      namespace: 'other',
      clusterId: 'c1',
      ip: '127.84.5.2',
      zone: 'z1a',
      labels: { app: 'api' },
    })
    .pod({
      name: 'gw-1',
      namespace: 'istio-system',
      clusterId: 'c1',
      ip: '127.84.5.9',
      zone: 'z1a',
      labels: { istio: 'ingressgateway' },
    });
}

const registry = lab().build();

function sidecar(istio = istioSnapshot()) {
  const proxy = resolveProxyContext(
    { id: 'sidecar~127.84.5.1~web-1.default~default.svc.cluster.local' },
    registry,
    { clusterId: 'c1', network: '' },
  );
  return generateProxyResources({ registry, istio, mesh: defaultMeshConfig, proxy });
}

function vhost(set: ReturnType<typeof sidecar>, name: string): Json | undefined {
  const rc = set.get(XdsTypeUrl.routeConfiguration)?.get('http_proxy') as Json;
  return (rc['virtual_hosts'] as Json[]).find((v) => v['name'] === name);
}

test('port 80 services also match without the port; other namespaces get no bare short name; exportTo hides services', () => {
  const set = sidecar();
  assert.deepEqual(vhost(set, 'web.default.svc.cluster.local:80')?.['domains'], [
    'web.default.svc.cluster.local',
    'web.default.svc.cluster.local:80',
    'web.default.svc.cluster.local.',
    'web.default.svc.cluster.local.:80',
    'web',
    'web:80',
    'web.default.svc',
    'web.default.svc:80',
    'web.default',
    'web.default:80',
    '10.0.0.1',
    '10.0.0.1:80',
  ]);
  assert.deepEqual(vhost(set, 'api.other.svc.cluster.local:9000')?.['domains'], [
    'api.other.svc.cluster.local:9000',
    'api.other.svc.cluster.local.:9000',
    'api.other:9000',
    'api.other.svc:9000',
    '10.0.0.2:9000',
  ]);
  assert.equal(set.get(XdsTypeUrl.cluster)?.has('outbound|8000||hidden.other.svc.cluster.local'), false);
  // TCP ports get clusters but no HTTP routes.
  assert.ok(set.get(XdsTypeUrl.cluster)?.has('outbound|5432||db.default.svc.cluster.local'));
  assert.equal(vhost(set, 'db.default.svc.cluster.local:5432'), undefined);
  // The pod serves web on 8080: the inbound listener and cluster use the target port.
  assert.ok(set.get(XdsTypeUrl.listener)?.has('127.84.5.1_8080'));
  assert.ok(set.get(XdsTypeUrl.cluster)?.has('inbound|8080||'));
});

test('for one host the oldest VirtualService wins on sidecars; gateway-only VirtualServices do not apply', () => {
  const route = (name: string, created: string, host: string, extra: Json = {}) =>
    configEntry(
      'VirtualService',
      name,
      'default',
      { hosts: ['web'], ...extra, http: [{ name, route: [{ destination: { host } }] }] },
      created,
    );
  const set = sidecar(
    istioSnapshot({
      virtualServices: [
        route('newer', '2025-03-01T00:00:00Z', 'db'),
        route('older', '2025-01-01T00:00:00Z', 'web'),
        route('gw-only', '2024-01-01T00:00:00Z', 'db', { gateways: ['some-gateway'] }),
      ],
    }),
  );
  const routes = vhost(set, 'web.default.svc.cluster.local:80')?.['routes'] as Json[];
  assert.deepEqual(
    routes.map((r) => r['name']),
    ['older'],
  );
});

test('gateway virtual hosts: a named host also matches with a port, VirtualServices of other namespaces bind by ns/name', () => {
  const proxy = resolveProxyContext(
    { id: 'router~127.84.5.9~gw-1.istio-system~istio-system.svc.cluster.local' },
    registry,
    { clusterId: 'c1', network: '' },
  );
  const istio = istioSnapshot({
    gateways: [
      configEntry('Gateway', 'edge', 'istio-system', {
        selector: { istio: 'ingressgateway' },
        servers: [
          {
            port: { number: 80, name: 'http', protocol: 'HTTP' },
            hosts: ['*/shop.example.com', 'default/*.example.org'],
          },
        ],
      }),
    ],
    virtualServices: [
      configEntry('VirtualService', 'shop', 'default', {
        hosts: ['shop.example.com', 'a.example.org'],
        gateways: ['istio-system/edge'],
        http: [{ route: [{ destination: { host: 'web' } }] }],
      }),
      configEntry('VirtualService', 'api', 'other', {
        hosts: ['b.example.org'],
        gateways: ['istio-system/edge'],
        http: [{ route: [{ destination: { host: 'api' } }] }],
      }),
    ],
  });
  const set = generateProxyResources({ registry, istio, mesh: defaultMeshConfig, proxy });
  assert.ok(set.get(XdsTypeUrl.listener)?.has('127.84.5.9_8080'));
  const rc = set.get(XdsTypeUrl.routeConfiguration)?.get('http.8080') as Json;
  const vhosts = rc['virtual_hosts'] as Json[];
  // Same routes for both hosts of the "shop" VirtualService: collapsed into one virtual host.
  assert.deepEqual(
    vhosts.map((v) => [v['name'], v['domains']]),
    [['a.example.org:80', ['a.example.org', 'a.example.org:*', 'shop.example.com', 'shop.example.com:*']]],
  );
  const action = ((vhosts[0]?.['routes'] as Json[])[0] as Json)['route'] as Json;
  assert.equal(action['cluster'], 'outbound|80||web.default.svc.cluster.local');
});
