import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IstioObject } from './index.js';
import { toStatusCause, validateIstioObject } from './index.js';

interface TestObject extends IstioObject {
  readonly apiVersion: string;
}

function istio(
  kind: string,
  spec: Record<string, unknown>,
  name = 'demo',
  group = 'networking.istio.io',
): TestObject {
  return { apiVersion: `${group}/v1`, kind, metadata: { name, namespace: 'default' }, spec };
}

/** `field: message` of each cause, the way kubectl lists them. */
function problems(object: TestObject): string[] {
  const group = object.apiVersion.split('/')[0] ?? '';
  return validateIstioObject(group, 'v1', object)
    .errors.map(toStatusCause)
    .map((c) => `${c.field ?? ''}: ${c.message}`);
}

const route = (host: string, extra: Record<string, unknown> = {}) => ({ destination: { host }, ...extra });

const cases: ReadonlyArray<{ name: string; object: TestObject; expected: string[] }> = [
  {
    name: 'a VirtualService with no routes at all',
    object: istio('VirtualService', { hosts: ['web'] }),
    expected: ['spec: Invalid value: http, tcp or tls must be provided in virtual service'],
  },
  {
    name: 'an http route without destination, redirect or direct response',
    object: istio('VirtualService', { hosts: ['web'], http: [{ name: 'r' }] }),
    expected: ['spec.http[0].route: Invalid value: HTTP route, redirect or direct_response is required'],
  },
  {
    name: 'a route entry without destination and a negative weight',
    object: istio('VirtualService', { hosts: ['web'], http: [{ route: [{ weight: -1 }, route('web')] }] }),
    // The CRD schema requires destination; Istio's webhook only sees objects the schema accepted.
    expected: ['spec.http[0].route[0].destination: Required value'],
  },
  {
    name: 'a negative route weight',
    object: istio('VirtualService', {
      hosts: ['web'],
      http: [{ route: [route('a', { weight: -1 }), route('b', { weight: 2 })] }],
    }),
    expected: ['spec.http[0].route[0].weight: Invalid value: -1: weight -1 < 0'],
  },
  {
    name: 'several destinations whose weights are all zero',
    object: istio('VirtualService', { hosts: ['web'], http: [{ route: [route('a'), route('b')] }] }),
    expected: ['spec.http[0].route: Invalid value: total destination weight = 0'],
  },
  {
    name: 'a fault percentage over 100 and an out-of-range abort status',
    object: istio('VirtualService', {
      hosts: ['web'],
      http: [{ route: [route('web')], fault: { abort: { httpStatus: 700, percentage: { value: 150 } } } }],
    }),
    expected: [
      'spec.http[0].fault.abort.percentage.value: Invalid value: 150: percentage 150 is neither 0.0, nor in range [0.0001, 100.0]',
      'spec.http[0].fault.abort.httpStatus: Invalid value: 700: HTTP status 700 is not in range 200-599',
    ],
  },
  {
    name: 'a malformed timeout (CRD rule; the webhook never runs, so the bad abort status is not reported)',
    object: istio('VirtualService', {
      hosts: ['web'],
      http: [{ route: [route('web')], timeout: '10', fault: { abort: { httpStatus: 700 } } }],
    }),
    expected: ['spec.http[0].timeout: Invalid value: "string": must be a valid duration greater than 1ms'],
  },
  {
    name: 'retries configured while disabled',
    object: istio('VirtualService', {
      hosts: ['web'],
      http: [{ route: [route('web')], retries: { attempts: 0, retryOn: '5xx' } }],
    }),
    expected: [
      'spec.http[0].retries.attempts: Invalid value: 0: http retry policy configured when attempts are set to 0 (disabled)',
    ],
  },
  {
    name: 'the wildcard host on the mesh gateway and a bad destination host',
    object: istio('VirtualService', { hosts: ['*'], http: [{ route: [route('Web_1')] }] }),
    expected: [
      'spec.hosts[0]: Invalid value: "*": wildcard host * is not allowed for virtual services bound to the mesh gateway',
      'spec.http[0].route[0].destination.host: Invalid value: "Web_1": domain name "Web_1" invalid (label "Web_1" invalid)',
    ],
  },
  {
    name: 'a Gateway without servers',
    object: istio('Gateway', { servers: [] }),
    expected: ['spec.servers: Invalid value: gateway must have at least one server'],
  },
  {
    name: 'a Gateway server without a port name (CRD schema)',
    object: istio('Gateway', { servers: [{ hosts: ['*'], port: { number: 80, protocol: 'HTTP' } }] }),
    expected: ['spec.servers[0].port.name: Required value'],
  },
  {
    name: 'a Gateway server without hosts and an HTTPS port without TLS',
    object: istio('Gateway', {
      servers: [
        { hosts: [], port: { number: 80, protocol: 'HTTP', name: 'http' } },
        { hosts: ['example.com'], port: { number: 443, protocol: 'HTTPS', name: 'https' } },
      ],
    }),
    expected: [
      'spec.servers[0].hosts: Invalid value: server config must contain at least one host',
      'spec.servers[1].tls: Invalid value: server must have TLS settings for HTTPS/TLS protocols',
    ],
  },
  {
    name: 'a Gateway whose name has a dot',
    object: istio(
      'Gateway',
      { servers: [{ hosts: ['*'], port: { number: 80, protocol: 'HTTP', name: 'http' } }] },
      'gw.v1',
    ),
    expected: ['metadata.name: Invalid value: "gw.v1": invalid gateway name: "gw.v1"'],
  },
  {
    name: 'a ServiceEntry with the full wildcard host and duplicate ports',
    object: istio('ServiceEntry', {
      hosts: ['*'],
      ports: [
        { number: 80, name: 'http', protocol: 'HTTP' },
        { number: 80, name: 'http', protocol: 'HTTP' },
      ],
    }),
    expected: [
      'spec.hosts[0]: Invalid value: "*": invalid host *',
      'spec.ports[1].name: Invalid value: "http": service entry port name "http" already defined',
      'spec.ports[1].number: Invalid value: 80: service entry port 80 already defined',
    ],
  },
  {
    name: 'an empty Sidecar',
    object: istio('Sidecar', {}),
    expected: ['spec: Invalid value: sidecar: empty configuration provided'],
  },
  {
    name: 'a DENY AuthorizationPolicy without rules',
    object: istio('AuthorizationPolicy', { action: 'DENY' }, 'deny', 'security.istio.io'),
    expected: [
      'spec.rules: Invalid value: DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
    ],
  },
  {
    name: 'a load balancer with both simple and consistentHash (CRD oneOf)',
    object: istio('DestinationRule', {
      host: 'web',
      trafficPolicy: {
        loadBalancer: { simple: 'ROUND_ROBIN', consistentHash: { httpHeaderName: 'x-user' } },
      },
    }),
    expected: [
      'spec.trafficPolicy.loadBalancer: Invalid value: "object": spec.trafficPolicy.loadBalancer in body must validate one and only one schema (oneOf)',
    ],
  },
  {
    name: 'a namespace-wide PeerAuthentication with port level mTLS',
    object: istio(
      'PeerAuthentication',
      { portLevelMtls: { '8080': { mode: 'DISABLE' } } },
      'pa',
      'security.istio.io',
    ),
    expected: [
      'spec.portLevelMtls: Invalid value: mesh/namespace peer authentication cannot have port level mTLS',
    ],
  },
  {
    name: 'a WorkloadEntry without address or network',
    object: istio('WorkloadEntry', { labels: { app: 'vm' } }),
    expected: ['spec.address: Invalid value: address is required'],
  },
  {
    name: 'an enum value the CRD does not allow',
    object: istio('PeerAuthentication', { mtls: { mode: 'SOMETIMES' } }, 'pa', 'security.istio.io'),
    expected: [
      'spec.mtls.mode: Unsupported value: "SOMETIMES": supported values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
    ],
  },
];

describe('Istio webhook semantics', () => {
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      assert.deepEqual(problems(c.object), c.expected);
    });
  }

  it('accepts a weighted VirtualService bound to a gateway with a fault delay', () => {
    const vs = istio('VirtualService', {
      hosts: ['web.example.com'],
      gateways: ['default/web-gw'],
      http: [
        {
          route: [route('a', { weight: 90 }), route('b', { weight: 10 })],
          fault: { delay: { fixedDelay: '5s', percentage: { value: 10 } } },
          retries: { attempts: 3, perTryTimeout: '2s' },
          timeout: '10s',
        },
      ],
    });
    assert.deepEqual(problems(vs), []);
  });
});
