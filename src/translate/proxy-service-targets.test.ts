import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegistrySnapshot } from '../registry/mesh-model.js';
import type { ProxyContext } from './proxy-context.js';
import { proxyServiceTargets, type ServiceTarget } from './proxy-service-targets.js';
import { RegistryBuilder } from './testing/registry-builder.js';

/** What the lookup must return: a scan of every endpoint, hostnames sorted. */
function scan(registry: RegistrySnapshot, proxy: ProxyContext): ServiceTarget[] {
  const out: ServiceTarget[] = [];
  const seen = new Set<string>();
  for (const hostname of [...registry.endpoints.keys()].sort()) {
    const service = registry.services.get(hostname);
    if (service === undefined) continue;
    for (const e of registry.endpoints.get(hostname) ?? []) {
      if (!proxy.ipAddresses.includes(e.address) || e.clusterId !== proxy.clusterId) continue;
      const port = service.ports.find((p) => p.port === e.servicePort);
      const key = `${hostname}|${e.servicePort}`;
      if (port === undefined || seen.has(key)) continue;
      seen.add(key);
      out.push({ service, port, targetPort: e.endpointPort });
    }
  }
  return out;
}

function proxy(clusterId: string, ...ipAddresses: string[]): ProxyContext {
  return {
    id: `sidecar~${ipAddresses[0]}~p.default~default.svc.cluster.local`,
    type: 'sidecar',
    ipAddresses,
    podName: 'p',
    namespace: 'default',
    dnsDomain: 'default.svc.cluster.local',
    clusterId,
    network: '',
    labels: {},
    locality: { region: '', zone: '', subZone: '' },
    workloadName: '',
    localhostAddress: '127.0.0.1',
    metadata: {},
  };
}

test("a proxy's service targets: every service and port its addresses back in its cluster, in hostname order", () => {
  const registry = new RegistryBuilder()
    .service({
      name: 'zeta',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    })
    .service({
      name: 'alpha',
      selector: { tier: 'front' },
      ports: [
        { name: 'http', port: 8000, targetPort: 9000 },
        { name: 'grpc', port: 9090, targetPort: 9091 },
      ],
    })
    .service({ name: 'other', selector: { app: 'db' } })
    .pod({ name: 'web-1', clusterId: 'c1', ip: '127.84.9.1', labels: { app: 'web', tier: 'front' } })
    .pod({ name: 'web-2', clusterId: 'c1', ip: '127.84.9.2', labels: { app: 'web' } })
    .pod({ name: 'web-3', clusterId: 'c2', ip: '127.84.9.1', labels: { app: 'web', tier: 'front' } })
    .pod({ name: 'db-1', clusterId: 'c1', ip: '127.84.9.3', labels: { app: 'db' } })
    .build();
  for (const p of [
    proxy('c1', '127.84.9.1'),
    proxy('c1', '127.84.9.2', '127.84.9.1'),
    proxy('c2', '127.84.9.1'),
    proxy('c1', '127.84.9.9'),
  ])
    assert.deepEqual(proxyServiceTargets(registry, p), scan(registry, p));
  const targets = proxyServiceTargets(registry, proxy('c1', '127.84.9.1'));
  assert.deepEqual(
    targets.map((t) => `${t.service.name}:${t.port.port}->${t.targetPort}`),
    ['alpha:8000->9000', 'alpha:9090->9091', 'zeta:80->8080'],
  );
  assert.deepEqual(proxyServiceTargets(registry, proxy('c1', '127.84.9.9')), []);
});
