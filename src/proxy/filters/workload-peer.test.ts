import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { envoyProtoRoot } from '../../envoy/proto-registry.js';
import {
  PeerMetadataFilter,
  peerMetadataHeader,
  peerMetadataIdHeader,
  type PeerExchangeState,
} from './peer-metadata-filter.js';
import { decodePeerMetadataHeader, encodePeerMetadataHeader, workloadPeerOf } from './workload-peer.js';

const peer = workloadPeerOf({
  NAME: 'mockb-5c7d-xyz',
  NAMESPACE: 'default',
  WORKLOAD_NAME: 'mockb',
  CLUSTER_ID: 'cluster-2',
  LABELS: { app: 'mockb', version: 'v2', 'service.istio.io/canonical-name': 'mockb', other: 'ignored' },
});

test('the peer metadata header is base64 of a protobuf Struct that a real protobuf decoder reads', () => {
  const value = encodePeerMetadataHeader(peer);
  const struct = envoyProtoRoot().lookupType('google.protobuf.Struct');
  const decoded = struct.toObject(struct.decode(Buffer.from(value, 'base64'))) as {
    fields: Record<
      string,
      { stringValue?: string; structValue?: { fields: Record<string, { stringValue: string }> } }
    >;
  };
  assert.equal(decoded.fields['WORKLOAD_NAME']?.stringValue, 'mockb');
  assert.equal(decoded.fields['CLUSTER_ID']?.stringValue, 'cluster-2');
  assert.equal(decoded.fields['LABELS']?.structValue?.fields['version']?.stringValue, 'v2');
  assert.equal(decoded.fields['LABELS']?.structValue?.fields['other'], undefined);
  assert.deepEqual(decodePeerMetadataHeader(value), peer);
});

test('a header encoded by protobufjs (another encoder, other value kinds included) decodes', () => {
  const struct = envoyProtoRoot().lookupType('google.protobuf.Struct');
  const message = struct.fromObject({
    fields: {
      NAMESPACE: { stringValue: 'ns' },
      WORKLOAD_NAME: { stringValue: 'w' },
      PLATFORM_METADATA: { structValue: { fields: { x: { numberValue: 1.5 } } } },
      INSTANCE_IPS: { listValue: { values: [{ stringValue: '10.0.0.1' }] } },
      ENABLED: { boolValue: true },
    },
  });
  const value = Buffer.from(struct.encode(message).finish()).toString('base64');
  const decoded = decodePeerMetadataHeader(value);
  assert.equal(decoded?.namespace, 'ns');
  assert.equal(decoded?.workloadName, 'w');
  assert.ok(protobuf !== undefined);
});

test('malformed header values decode to nothing and never throw', () => {
  for (const bad of [
    '',
    '!!!',
    'CgA',
    Buffer.from([0x0a, 0x7f, 0x01]).toString('base64'),
    Buffer.from([0x0b]).toString('base64'),
  ]) {
    assert.equal(decodePeerMetadataHeader(bad)?.workloadName ?? '', '', bad);
  }
});

test('outbound filter sends this proxy on the request and reads the upstream from the response; inbound answers only when asked', () => {
  const outbound = new PeerMetadataFilter(
    {
      downstreamDiscovery: false,
      upstreamDiscovery: true,
      downstreamPropagation: false,
      upstreamPropagation: true,
    },
    peer,
    'sidecar~10.0.0.1~a.default~default.svc.cluster.local',
  );
  const inbound = new PeerMetadataFilter(
    {
      downstreamDiscovery: true,
      upstreamDiscovery: false,
      downstreamPropagation: true,
      upstreamPropagation: false,
    },
    workloadPeerOf({ WORKLOAD_NAME: 'server', NAMESPACE: 'default' }),
    'sidecar~10.0.0.2~b.default~default.svc.cluster.local',
  );
  const state = (): PeerExchangeState => ({
    downstreamPeer: undefined,
    upstreamPeer: undefined,
    requestHadPeer: false,
    requestHadPeerId: false,
  });
  const client = state();
  const request = new Map<string, string>();
  outbound.onRequestHeaders(request, client);
  assert.equal(request.get(peerMetadataIdHeader), 'sidecar~10.0.0.1~a.default~default.svc.cluster.local');
  const serverState = state();
  inbound.onRequestHeaders(request, serverState);
  assert.equal(serverState.downstreamPeer?.workloadName, 'mockb');
  assert.equal(request.has(peerMetadataHeader), false, 'removed before the app sees it');
  const response: Record<string, string> = {};
  inbound.onResponseHeaders(response, serverState);
  assert.ok(response[peerMetadataHeader] !== undefined);
  outbound.onResponseHeaders(response, client);
  assert.equal(client.upstreamPeer?.workloadName, 'server');
  assert.equal(response[peerMetadataHeader], undefined, 'removed before the client app sees it');
  // A request without the headers gets none back.
  const plain = state();
  inbound.onRequestHeaders(new Map(), plain);
  const plainResponse: Record<string, string> = {};
  inbound.onResponseHeaders(plainResponse, plain);
  assert.deepEqual(plainResponse, {});
});
