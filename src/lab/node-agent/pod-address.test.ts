import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkLabPodCidr,
  parseIpv4Cidr,
  PodIpAllocator,
  podLocalhost,
  type Ipv4Cidr,
} from './pod-address.js';

function cidr(text: string): Ipv4Cidr {
  const parsed = parseIpv4Cidr(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('pod CIDRs', () => {
  test('parses a network address and rejects host bits, bad syntax and tiny ranges with the reason', () => {
    assert.deepEqual(parseIpv4Cidr('127.87.1.0/24'), {
      text: '127.87.1.0/24',
      network: (127 << 24) + (87 << 16) + (1 << 8),
      prefixLength: 24,
    });
    assert.equal(
      parseIpv4Cidr('127.87.1.5/24'),
      '127.87.1.5/24: not a network address (did you mean 127.87.1.0/24?)',
    );
    assert.equal(parseIpv4Cidr('127.87.1/24'), '"127.87.1/24" is not an IPv4 CIDR (a.b.c.d/n)');
    assert.equal(
      parseIpv4Cidr('127.87.1.0/31'),
      '127.87.1.0/31: a /31 leaves no address for pods (at most /30)',
    );
    assert.equal(parseIpv4Cidr('127.87.300.0/24'), '"127.87.300.0/24" is not an IPv4 CIDR (a.b.c.d/n)');
  });

  test("a pod's localhost is its IP with the second octet + 100", () => {
    assert.equal(podLocalhost('127.87.1.2'), '127.187.1.2');
    assert.equal(podLocalhost('127.155.3.254'), '127.255.3.254');
    assert.deepEqual(podLocalhost('127.156.0.2'), {
      error: '127.156.0.2: its localhost would be 127.256... (second octet must be <= 155)',
    });
    assert.deepEqual(podLocalhost('10.0.0.2'), {
      error: "10.0.0.2 is not a lab pod address (the lab's pods live in 127.0.0.0/8)",
    });
  });

  test('a node range outside what lab localhosts can express is refused', () => {
    assert.equal(checkLabPodCidr(cidr('127.87.2.0/24')), undefined);
    assert.match(
      checkLabPodCidr(cidr('10.1.0.0/24')) ?? '',
      /^podCIDR 10\.1\.0\.0\/24: 10\.1\.0\.2 is not a lab pod/,
    );
    assert.match(checkLabPodCidr(cidr('127.200.0.0/24')) ?? '', /second octet must be <= 155/);
  });
});

describe('pod IP allocation', () => {
  test('hands out .2 to .254 of a /24 in order, never the node address or broadcast', () => {
    const a = new PodIpAllocator(cidr('127.87.1.0/24'));
    assert.equal(a.capacity, 253);
    const got = Array.from({ length: 253 }, (_, i) => a.allocate(`pod-${i}`));
    assert.equal(got[0], '127.87.1.2');
    assert.equal(got[252], '127.87.1.254');
    assert.equal(new Set(got).size, 253);
    assert.equal(a.allocate('one-too-many'), undefined);
  });

  test('a freed address comes back only after every other free one was used (round robin)', () => {
    const a = new PodIpAllocator(cidr('127.87.1.0/29')); // pods .2 ... .6
    assert.deepEqual(
      ['a', 'b', 'c'].map((o) => a.allocate(o)),
      ['127.87.1.2', '127.87.1.3', '127.87.1.4'],
    );
    a.release('127.87.1.2');
    assert.equal(a.allocate('d'), '127.87.1.5');
    assert.equal(a.allocate('e'), '127.87.1.6');
    assert.equal(a.allocate('f'), '127.87.1.2', 'wraps around to the freed address');
    assert.equal(a.allocate('g'), undefined);
    assert.equal(a.ownerOf('127.87.1.2'), 'f');
  });

  test('an owner asking again gets the same address; a preferred free address is honoured', () => {
    const a = new PodIpAllocator(cidr('127.87.1.0/24'));
    assert.equal(a.allocate('p', '127.87.1.77'), '127.87.1.77');
    assert.equal(a.allocate('p'), '127.87.1.77');
    assert.equal(a.allocate('q', '127.87.1.77'), '127.87.1.78', 'taken: the next after the last reserved');
    assert.equal(a.allocate('r', '127.87.2.9'), '127.87.1.79', 'out of range: ignored');
    assert.equal(a.lastReservedAddress(), '127.87.1.79');
  });

  test('continues after the last address a previous run reserved', () => {
    const a = new PodIpAllocator(cidr('127.87.1.0/24'), '127.87.1.9');
    assert.equal(a.allocate('x'), '127.87.1.10');
    const b = new PodIpAllocator(cidr('127.87.1.0/24'), '127.87.1.255');
    assert.equal(b.allocate('x'), '127.87.1.2', 'an out-of-range hint is ignored');
  });
});
