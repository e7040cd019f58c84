/**
 * The real xDS client, @grpc/grpc-js-xds 1.14.1 (proxyless gRPC), against the ADS server: a
 * hand-written set (Listener with an api_listener connection manager and RDS, RouteConfiguration,
 * an EDS Cluster with every outlier field set, an assignment with two priorities in two weighted
 * localities) for real grpc-js echo servers. The client ACKs everything (CSDS), follows an
 * assignment change, and NACKs a priority gap while its RPCs keep working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SystemClock } from '../../src/core/clock.js';
import { XdsTypeUrl, type XdsResourceJson } from '../../src/envoy/xds-resource.js';
import { AdsServer, type ConnectingProxy } from '../../src/xds-server/ads-server.js';
import type { XdsTypeStatus } from '../../src/xds-server/xds-session.js';
import { waitFor } from '../support/wait-for.js';
import { XdsClientProcess, type ClientResourceStatus } from '../support/xds-client-process.js';
import { resourceSet } from '../support/xds-resources.js';

const identity = (b: Buffer): Buffer => b;
const listenerName = 'echo.test:50051';
const routeName = 'echo-route';
const clusterName = 'outbound|50051||echo.test';

const echoService: grpc.ServiceDefinition = {
  Echo: {
    path: '/spillway.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

async function startBackend(name: string, host: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
      callback(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

const echoListener: XdsResourceJson = {
  '@type': XdsTypeUrl.listener,
  name: listenerName,
  api_listener: {
    api_listener: {
      '@type':
        'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'echo',
      rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
      http_filters: [
        {
          name: 'envoy.filters.http.router',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
        },
      ],
    },
  },
};

const echoRoute: XdsResourceJson = {
  '@type': XdsTypeUrl.routeConfiguration,
  name: routeName,
  virtual_hosts: [
    {
      name: 'echo',
      domains: [listenerName, 'echo.test'],
      routes: [{ match: { prefix: '' }, route: { cluster: clusterName } }],
    },
  ],
};

// Every outlier field set: grpc-js 1.14.7 crashes on an interval tick if the success-rate or
// failure-percentage fields are left unset (real-peers 1.5).
const echoCluster: XdsResourceJson = {
  '@type': XdsTypeUrl.cluster,
  name: clusterName,
  type: 'EDS',
  lb_policy: 'ROUND_ROBIN',
  connect_timeout: '1s',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: clusterName },
  outlier_detection: {
    consecutive_5xx: 5,
    interval: '10s',
    base_ejection_time: '30s',
    max_ejection_time: '300s',
    max_ejection_percent: 100,
    enforcing_consecutive_5xx: 100,
    enforcing_success_rate: 0,
    success_rate_minimum_hosts: 5,
    success_rate_request_volume: 100,
    success_rate_stdev_factor: 1900,
    enforcing_failure_percentage: 0,
    failure_percentage_minimum_hosts: 5,
    failure_percentage_request_volume: 50,
    failure_percentage_threshold: 85,
  },
};

interface Endpoint {
  readonly port: number;
  readonly zone: string;
  readonly priority: number;
}

function echoAssignment(endpoints: readonly Endpoint[]): XdsResourceJson {
  return {
    '@type': XdsTypeUrl.clusterLoadAssignment,
    cluster_name: clusterName,
    endpoints: endpoints.map((e) => ({
      locality: { region: 'r1', zone: e.zone },
      load_balancing_weight: 3,
      priority: e.priority,
      lb_endpoints: [
        {
          endpoint: { address: { socket_address: { address: '127.82.2.1', port_value: e.port } } },
          load_balancing_weight: 1,
        },
      ],
    })),
  };
}

describe('real @grpc/grpc-js-xds client against the ADS server', () => {
  let server: AdsServer;
  let backendA: { server: grpc.Server; port: number };
  let backendB: { server: grpc.Server; port: number };
  let client: XdsClientProcess;
  const connected: ConnectingProxy[] = [];

  const statusOf = async (typeUrl: string): Promise<ClientResourceStatus | undefined> =>
    (await client.clientStatus()).find((r) => r.typeUrl === typeUrl);

  before(async () => {
    backendA = await startBackend('backend-a', '127.82.2.1');
    backendB = await startBackend('backend-b', '127.82.2.1');
    server = new AdsServer({
      address: '127.82.2.2:0',
      clock: new SystemClock(),
      onProxyConnected: (proxy) => {
        connected.push(proxy);
        return { proxyKey: proxy.node.id };
      },
    });
    await server.start();
    server.setResources(
      'echo-client-1',
      resourceSet(
        echoListener,
        echoRoute,
        echoCluster,
        echoAssignment([
          { port: backendA.port, zone: 'z0', priority: 0 },
          { port: backendB.port, zone: 'z1', priority: 1 },
        ]),
      ),
    );
    client = XdsClientProcess.start(
      { serverUri: server.address, nodeId: 'echo-client-1', locality: { region: 'r1', zone: 'z0' } },
      `xds:///${listenerName}`,
      '127.82.2.3',
    );
    await client.adminAddress;
  });

  after(async () => {
    await client?.stop();
    await server?.close();
    backendA?.server.forceShutdown();
    backendB?.server.forceShutdown();
  });

  test('RPCs reach the priority-0 backend and CSDS shows every resource ACKED at the served version', async () => {
    const first = await waitFor('a first successful RPC', async () => {
      const result = await client.call();
      return result.reply;
    });
    assert.equal(first, 'backend-a');
    const node = connected[0]?.node;
    assert.equal(node?.id, 'echo-client-1');
    assert.deepEqual(node?.locality, { region: 'r1', zone: 'z0', subZone: '' });
    assert.ok(node?.clientFeatures.includes('envoy.lb.does_not_support_overprovisioning'));

    const resources: ClientResourceStatus[] = await waitFor('all four resources ACKED', async () => {
      const all = await client.clientStatus();
      return all.length === 4 && all.every((r) => r.clientStatus === 'ACKED') ? all : undefined;
    });
    const served = server.connectedProxies().find((p) => p.proxyKey === 'echo-client-1');
    assert.ok(served !== undefined);
    for (const resource of resources) {
      const type: XdsTypeStatus | undefined = served.types.find((t) => t.typeUrl === resource.typeUrl);
      assert.equal(resource.versionInfo, type?.versionSent, `${resource.typeUrl} version`);
      assert.equal(type?.versionAcked, type?.versionSent);
      assert.equal(type?.nackCount, 0);
    }
    assert.deepEqual(
      resources.map((r) => r.name).sort(),
      [clusterName, clusterName, listenerName, routeName].sort(),
    );
    // grpc-js-xds names its Listener and Cluster: the server kept them as named subscriptions.
    const lds = served.types.find((t) => t.typeUrl === XdsTypeUrl.listener);
    assert.deepEqual(lds?.subscription, { wildcard: false, names: [listenerName] });
  });

  test('the client follows an assignment change: priority 0 removed, priority 1 renumbered to 0', async () => {
    server.setResources(
      'echo-client-1',
      resourceSet(
        echoListener,
        echoRoute,
        echoCluster,
        echoAssignment([{ port: backendB.port, zone: 'z1', priority: 0 }]),
      ),
    );
    await waitFor('RPCs to reach backend-b', async () => (await client.call()).reply === 'backend-b');
    await waitFor('the new assignment ACKED', async () => {
      const cla = await statusOf(XdsTypeUrl.clusterLoadAssignment);
      const sent = server
        .connectedProxies()[0]
        ?.types.find((t) => t.typeUrl === XdsTypeUrl.clusterLoadAssignment)?.versionSent;
      return cla?.clientStatus === 'ACKED' && cla.versionInfo === sent;
    });
  });

  test('an assignment with a priority gap is NACKed, counted, and the client keeps its last good version', async () => {
    const before = server
      .connectedProxies()[0]
      ?.types.find((t) => t.typeUrl === XdsTypeUrl.clusterLoadAssignment);
    const goodVersion = before?.versionAcked;
    assert.ok(goodVersion !== undefined);
    server.setResources(
      'echo-client-1',
      resourceSet(
        echoListener,
        echoRoute,
        echoCluster,
        echoAssignment([{ port: backendA.port, zone: 'z0', priority: 1 }]),
      ),
    );
    const nacked = await waitFor('the NACK', () =>
      server
        .connectedProxies()[0]
        ?.types.find((t) => t.typeUrl === XdsTypeUrl.clusterLoadAssignment && t.isNacked),
    );
    assert.match(nacked.lastNack?.message ?? '', /priority 1 but not 0/);
    assert.equal(nacked.versionAcked, goodVersion, 'the server keeps the last ACKed version for the proxy');
    assert.equal(nacked.lastNack?.rejectedVersion, nacked.versionSent);
    assert.match(server.metrics.render(), /^pilot_total_xds_rejects\{type="eds"\} 1$/m);
    const cla = await waitFor('CSDS to show the NACK', async () => {
      const status = await statusOf(XdsTypeUrl.clusterLoadAssignment);
      return status?.clientStatus === 'NACKED' ? status : undefined;
    });
    assert.equal(cla.versionInfo, goodVersion);
    assert.equal(cla.errorVersion, nacked.versionSent);
    assert.match(cla.errorDetails ?? '', /priority 1 but not 0/);
    // Traffic is unaffected: still the last good assignment (backend-b).
    for (let i = 0; i < 5; i++) assert.equal((await client.call()).reply, 'backend-b');
    // Setting the same bad content again sends nothing new: still one NACK.
    server.setResources(
      'echo-client-1',
      resourceSet(
        echoListener,
        echoRoute,
        echoCluster,
        echoAssignment([{ port: backendA.port, zone: 'z0', priority: 1 }]),
      ),
    );
    const pushesBefore = nacked.pushes;
    server.setResources(
      'echo-client-1',
      resourceSet(
        echoListener,
        echoRoute,
        echoCluster,
        echoAssignment([{ port: backendA.port, zone: 'z0', priority: 0 }]),
      ),
    );
    await waitFor(
      'RPCs back on backend-a after a fixed assignment',
      async () => (await client.call()).reply === 'backend-a',
    );
    const fixed = server
      .connectedProxies()[0]
      ?.types.find((t) => t.typeUrl === XdsTypeUrl.clusterLoadAssignment);
    assert.equal(fixed?.pushes, pushesBefore + 1, 'the rejected version was not sent again, the fix was');
    assert.equal(fixed?.nackCount, 1);
  });
});
