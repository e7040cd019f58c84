import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeProtoJson } from '../envoy/proto-json-codec.js';
import { XdsTypeUrl } from '../envoy/xds-resource.js';
import { scanDiscoveryRequest } from './discovery-request-scan.js';
import { decodeDiscoveryRequest, discoveryRequestType } from './discovery-wire.js';

const eds = XdsTypeUrl.clusterLoadAssignment;
const names = Array.from({ length: 50 }, (_, i) => `outbound|8000||svc-${i}.ns.svc.cluster.local`);

function request(json: Record<string, unknown>): Uint8Array {
  return encodeProtoJson(discoveryRequestType, json);
}

test('an ACK repeating the last names of its type hands back that same array', () => {
  const ack = request({ type_url: eds, version_info: 'v2', response_nonce: '7-3', resource_names: names });
  const previous = [...names];
  const scanned = scanDiscoveryRequest(ack, (t) => (t === eds ? previous : undefined));
  assert.equal(scanned?.resourceNames, previous);
  assert.deepEqual(scanned, {
    versionInfo: 'v2',
    resourceNames: previous,
    typeUrl: eds,
    responseNonce: '7-3',
  });
  // Other names (or none remembered for the type) are decoded afresh.
  const changed = [...names.slice(0, 49), 'outbound|8000||other.ns.svc.cluster.local'];
  const fresh = scanDiscoveryRequest(request({ type_url: eds, resource_names: changed }), () => previous);
  assert.notEqual(fresh?.resourceNames, previous);
  assert.deepEqual(fresh?.resourceNames, changed);
  assert.deepEqual(scanDiscoveryRequest(ack, () => undefined)?.resourceNames, names);
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
    assert.equal(
      scanDiscoveryRequest(bytes, () => names),
      undefined,
    );
    let plain: unknown;
    let fast: unknown;
    try {
      plain = decodeDiscoveryRequest(bytes);
    } catch (err) {
      plain = (err as Error).message;
    }
    try {
      fast = decodeDiscoveryRequest(bytes, () => names);
    } catch (err) {
      fast = (err as Error).message;
    }
    assert.deepEqual(fast, plain);
  }
});

test('with or without remembered names, a plain request decodes to the same message', () => {
  for (const json of [
    { type_url: eds, version_info: 'v1', response_nonce: 'n', resource_names: names },
    { type_url: XdsTypeUrl.cluster },
    { type_url: eds, resource_names: [] },
    {},
  ]) {
    const bytes = request(json);
    assert.deepEqual(
      decodeDiscoveryRequest(bytes, () => names),
      decodeDiscoveryRequest(bytes),
    );
  }
});
