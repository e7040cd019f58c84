import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeProtoJson,
  encodeAnyJson,
  encodeProtoJson,
  encodeProtoObject,
} from '../envoy/proto-json-codec.js';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import { cluster } from '../../test/support/xds-resources.js';
import {
  decodeDeltaDiscoveryRequest,
  decodeDiscoveryRequest,
  deltaDiscoveryRequestType,
  deltaDiscoveryResponseType,
  deltaResourceEntry,
  discoveryRequestType,
  discoveryResponseType,
  encodeAnyMessage,
  encodeDeltaDiscoveryResponse,
  encodeDiscoveryResponse,
  sotwResourceEntry,
} from './discovery-wire.js';

test('a response assembled from pre-encoded entries decodes as the DiscoveryResponse it stands for', () => {
  const any = encodeAnyMessage(encodeAnyJson(cluster('c1')));
  const bytes = encodeDiscoveryResponse({
    versionInfo: 'v1',
    typeUrl: XdsTypeUrl.cluster,
    nonce: '7-1',
    resourceEntries: [sotwResourceEntry(any), sotwResourceEntry(any)],
  });
  const json = decodeProtoJson(discoveryResponseType, bytes);
  assert.equal(json['version_info'], 'v1');
  assert.equal(json['type_url'], XdsTypeUrl.cluster);
  assert.equal(json['nonce'], '7-1');
  assert.deepEqual(json['resources'], [cluster('c1'), cluster('c1')]);
  // Byte-identical to what the codec itself writes for the same message.
  const viaCodec = encodeProtoJson(discoveryResponseType, {
    version_info: 'v1',
    resources: [cluster('c1'), cluster('c1')],
    type_url: XdsTypeUrl.cluster,
    nonce: '7-1',
  });
  assert.deepEqual(Buffer.from(bytes), Buffer.from(viaCodec));
});

test('a delta response carries name, version, resource and removed names', () => {
  const any = encodeAnyMessage(encodeAnyJson(cluster('c1')));
  const bytes = encodeDeltaDiscoveryResponse({
    systemVersionInfo: 'sys',
    typeUrl: XdsTypeUrl.cluster,
    nonce: 'n',
    resourceEntries: [deltaResourceEntry('c1', 'abc', any)],
    removedResources: ['gone', ''],
  });
  const json = decodeProtoJson(deltaDiscoveryResponseType, bytes);
  assert.deepEqual(json, {
    system_version_info: 'sys',
    resources: [{ version: 'abc', resource: cluster('c1'), name: 'c1' }],
    type_url: XdsTypeUrl.cluster,
    removed_resources: ['gone', ''],
    nonce: 'n',
  });
});

test('requests decode from bytes, with an undecodable error detail kept opaque rather than failing', () => {
  const bytes = encodeProtoJson(discoveryRequestType, {
    version_info: '1',
    node: { id: 'n1' },
    resource_names: ['a'],
    type_url: XdsTypeUrl.clusterLoadAssignment,
    response_nonce: '2',
    error_detail: {
      code: 3,
      message: 'bad',
      details: [{ '@type': 'type.googleapis.com/google.protobuf.Empty', value: {} }],
    },
  });
  // The same request with a detail of a type no shipped proto declares.
  const opaque = encodeProtoObject(discoveryRequestType, {
    version_info: '1',
    node: { id: 'n1' },
    resource_names: ['a'],
    type_url: XdsTypeUrl.clusterLoadAssignment,
    response_nonce: '2',
    error_detail: {
      code: 3,
      message: 'bad',
      details: [{ type_url: 'type.googleapis.com/nowhere.Found', value: new Uint8Array([8, 1]) }],
    },
  });
  for (const input of [bytes, opaque]) {
    const request = decodeDiscoveryRequest(input);
    assert.equal(request.versionInfo, '1');
    assert.deepEqual(request.node, { id: 'n1' });
    assert.deepEqual(request.resourceNames, ['a']);
    assert.equal(request.responseNonce, '2');
    assert.deepEqual(request.errorDetail, { code: 3, message: 'bad' });
  }
  const delta = decodeDeltaDiscoveryRequest(
    encodeProtoJson(deltaDiscoveryRequestType, {
      type_url: XdsTypeUrl.cluster,
      resource_names_subscribe: ['*'],
      resource_names_unsubscribe: ['x'],
      initial_resource_versions: { a: 'v' },
    }),
  );
  assert.deepEqual(delta.resourceNamesSubscribe, ['*']);
  assert.deepEqual(delta.resourceNamesUnsubscribe, ['x']);
  assert.deepEqual([...delta.initialResourceVersions], [['a', 'v']]);
  assert.equal(delta.errorDetail, undefined);
});

test('bytes that are not a request are a protocol error', () => {
  assert.throws(() => decodeDiscoveryRequest(Buffer.from([0x0a, 0xff, 0xff])), /malformed DiscoveryRequest/);
  assert.throws(() => decodeDeltaDiscoveryRequest(Buffer.from([0xff])), /malformed DeltaDiscoveryRequest/);
});
