import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeProtoJson } from '../envoy/proto-json-codec.js';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import { ResourceNamesCache, scanDiscoveryRequest } from './discovery-request-scan.js';
import { decodeDiscoveryRequest, discoveryRequestType } from './discovery-wire.js';

const eds = XdsTypeUrl.clusterLoadAssignment;
const names = Array.from({ length: 50 }, (_, i) => `outbound|8000||svc-${i}.ns.svc.cluster.local`);

function request(json: Record<string, unknown>): Uint8Array {
  return encodeProtoJson(discoveryRequestType, json);
}

test('a names list read before comes back as the same array; other lists are decoded afresh', () => {
  const cache = new ResourceNamesCache();
  const ack = (version: string, list: readonly string[]) =>
    request({
      type_url: eds,
      version_info: version,
      response_nonce: `n-${version}`,
      resource_names: [...list],
    });
  const first = scanDiscoveryRequest(ack('v1', names), cache);
  assert.deepEqual(first, { versionInfo: 'v1', resourceNames: names, typeUrl: eds, responseNonce: 'n-v1' });
  // The next ACK of this proxy, or another proxy's with the same subscription: the same array.
  const again = scanDiscoveryRequest(ack('v2', names), cache);
  assert.equal(again?.resourceNames, first?.resourceNames);
  assert.equal(again?.versionInfo, 'v2');
  const changed = [...names.slice(0, 49), 'outbound|8000||other.ns.svc.cluster.local'];
  const other = scanDiscoveryRequest(ack('v3', changed), cache);
  assert.notEqual(other?.resourceNames, first?.resourceNames);
  assert.deepEqual(other?.resourceNames, changed);
  assert.deepEqual(scanDiscoveryRequest(ack('v4', names.slice(1)), cache)?.resourceNames, names.slice(1));
});

test('a full names cache is emptied, never wrong', () => {
  const cache = new ResourceNamesCache(2);
  const lists = [['a'], ['b'], ['c'], ['a']];
  for (const list of lists)
    assert.deepEqual(
      scanDiscoveryRequest(request({ type_url: eds, resource_names: list }), cache)?.resourceNames,
      list,
    );
});

test('anything but a plain request is left to the codec, which decodes or refuses it as before', () => {
  const inputs: Uint8Array[] = [
    request({
      type_url: eds,
      resource_names: names,
      node: { id: 'sidecar~1.2.3.4~p.ns~ns.svc.cluster.local' },
    }),
    request({ type_url: eds, response_nonce: '1', error_detail: { code: 3, message: 'bad' } }),
    request({ type_url: eds, resource_names: ['caf\u00e9'] }),
    Buffer.from([0x0a, 0xff, 0xff]),
    Buffer.from([0x08, 0x01]),
    // resource_locators (field 7) is not read by the scanner.
    Buffer.concat([request({ type_url: eds }), Buffer.from([0x3a, 0x00])]),
  ];
  for (const bytes of inputs) {
    assert.equal(scanDiscoveryRequest(bytes, new ResourceNamesCache()), undefined);
    let plain: unknown;
    let fast: unknown;
    try {
      plain = decodeDiscoveryRequest(bytes);
    } catch (err) {
      plain = (err as Error).message;
    }
    try {
      fast = decodeDiscoveryRequest(bytes, new ResourceNamesCache());
    } catch (err) {
      fast = (err as Error).message;
    }
    assert.deepEqual(fast, plain);
  }
});

test('with or without the names cache, a plain request decodes to the same message', () => {
  for (const json of [
    { type_url: eds, version_info: 'v1', response_nonce: 'n', resource_names: names },
    { type_url: XdsTypeUrl.cluster },
    { type_url: eds, resource_names: [] },
    {},
  ]) {
    const bytes = request(json);
    const cache = new ResourceNamesCache();
    for (let i = 0; i < 2; i++)
      assert.deepEqual(decodeDiscoveryRequest(bytes, cache), decodeDiscoveryRequest(bytes));
  }
});
