/**
 * The server-wide send budget over real gRPC: with room for one response at a time, every stream
 * still gets everything it asked for, in turn, and a client that stops reading does not stop the
 * others (the hold timeout itself is tested with a fake clock in send-budget.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SystemClock } from '../../src/core/clock.js';
import { XdsTypeUrl } from '../../src/envoy/xds-resource.js';
import { AdsServer } from '../../src/xds-server/ads-server.js';
import { H2SotwStream, nodeJson, RawSotwStream } from '../support/raw-ads-client.js';
import { assignment, cluster, resourceSet } from '../support/xds-resources.js';

const CDS = XdsTypeUrl.cluster;
const EDS = XdsTypeUrl.clusterLoadAssignment;

describe('ADS server send budget', () => {
  let server: AdsServer;
  const streams: { close(): void }[] = [];

  before(async () => {
    server = new AdsServer({
      address: '127.95.9.1:0',
      clock: new SystemClock(),
      onProxyConnected: ({ node }) => ({ proxyKey: node.id }),
      maxBytesInFlight: 1,
      sendBudgetHoldMs: 300,
    });
    await server.start();
  });

  after(async () => {
    for (const stream of streams) stream.close();
    await server.close();
  });

  test('with room for one response at a time, every stream gets every response it asked for', async () => {
    const clients = Array.from({ length: 6 }, (_, i) => {
      server.setResources(`p${i}`, resourceSet(cluster(`c${i}`), assignment(`c${i}`, 8000 + i)));
      const s = new RawSotwStream(server.address);
      streams.push(s);
      s.send({ node: nodeJson(`p${i}`), type_url: CDS });
      s.send({ type_url: EDS, resource_names: [`c${i}`] });
      return s;
    });
    for (const [i, s] of clients.entries()) {
      const got = [await s.next(), await s.next()].map(
        (r) => `${r.typeUrl.split('.').pop()} ${r.names.join(',')}`,
      );
      assert.deepEqual(got.sort(), [`Cluster c${i}`, `ClusterLoadAssignment c${i}`]);
    }
  });

  test('a client that stops reading does not stop the responses to the others', async () => {
    // Big enough to fill the HTTP/2 window of a reader that does not read.
    const padding = 'x'.repeat(20_000);
    server.setResources(
      'stuck',
      resourceSet(
        ...Array.from({ length: 10 }, (_, i) => ({
          ...cluster(`big-${i}`),
          alt_stat_name: `${padding}${i}`,
        })),
      ),
    );
    const stuck = new H2SotwStream(server.address);
    streams.push(stuck);
    stuck.pause();
    stuck.send({ node: nodeJson('stuck'), type_url: CDS });
    server.setResources('after', resourceSet(cluster('after')));
    const other = new RawSotwStream(server.address);
    streams.push(other);
    other.send({ node: nodeJson('after'), type_url: CDS });
    const response = await other.next(10_000);
    assert.deepEqual(response.names, ['after']);
    stuck.resume();
    const big = await stuck.next(10_000);
    assert.equal(big.names.length, 10);
  });
});
