import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { createSelfSignedCertificate, derPositiveInteger } from './self-signed-certificate.js';

test('DER integers are minimal: leading zeros dropped, a zero prefixed before a high bit', () => {
  assert.deepEqual(derPositiveInteger(Buffer.from([0x00, 0x1f, 0x02])), Buffer.from([0x1f, 0x02]));
  assert.deepEqual(derPositiveInteger(Buffer.from([0x00, 0x00, 0x9f])), Buffer.from([0x00, 0x9f]));
  assert.deepEqual(derPositiveInteger(Buffer.from([0x9f, 0x01])), Buffer.from([0x00, 0x9f, 0x01]));
  assert.deepEqual(derPositiveInteger(Buffer.from([0x00])), Buffer.from([0x00]));
});

test('certificates with serials starting 00 0x (about one in 512 random serials) still parse', () => {
  for (const first of [
    [0x00, 0x1f],
    [0x00, 0x00],
    [0x00, 0x80],
    [0x7f, 0x00],
    [0xff, 0x00],
  ]) {
    const serial = Buffer.concat([Buffer.from(first), Buffer.alloc(14, 0x33)]);
    const pair = createSelfSignedCertificate('lab', ['127.0.0.1'], Date.UTC(2026, 0, 1), serial);
    const cert = new X509Certificate(pair.certPem);
    assert.ok(cert.subject.includes('CN=lab'), `serial ${serial.toString('hex')}`);
  }
});
