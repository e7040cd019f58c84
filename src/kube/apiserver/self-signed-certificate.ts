/**
 * A self-signed TLS certificate for the lab API server. It has to speak HTTPS: kubectl (client-go
 * `clientcmd/client_config.go`) only sends the kubeconfig's bearer token over TLS, so a plain-HTTP
 * server could never authenticate kubectl. The certificate (ECDSA P-256, SHA-256) is its own CA and
 * goes into the kubeconfig as `certificate-authority-data`; its subjectAltName names the bound
 * address. Node has no certificate builder, so this file writes the X.509 DER (RFC 5280) directly.
 */
import { X509Certificate, generateKeyPairSync, sign } from 'node:crypto';
import { isIP } from 'node:net';

export interface CertificatePair {
  /** PEM certificate (also the CA a client trusts). */
  readonly certPem: string;
  /** PEM PKCS#8 private key. */
  readonly keyPem: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.from([0]), b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/**
 * A positive DER INTEGER (X.690 8.3.2): minimal encoding - leading zero bytes are dropped unless the
 * next byte has its high bit set, and a zero byte is prefixed when the high bit is set. OpenSSL
 * rejects a non-minimal encoding (`ERR_OSSL_ASN1_ILLEGAL_PADDING`), e.g. a random serial `00 1f ...`.
 */
export function derPositiveInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && ((bytes[start + 1] ?? 0) & 0x80) === 0) start++;
  const minimal = bytes.subarray(start);
  return (minimal[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
}

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, derPositiveInteger(bytes));
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return Number(digits.slice(0, 4)) < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // Expand an IPv6 address (with at most one `::`) to 16 bytes.
  const [head = '', tail] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

/**
 * A certificate valid from an hour before `nowMs` for ten years, for `commonName`, with
 * subjectAltName entries for `addresses` (IPs) and `localhost`.
 */
export function createSelfSignedCertificate(
  commonName: string,
  addresses: readonly string[],
  nowMs: number,
  serial: Buffer,
): CertificatePair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const san = seq(
    ...addresses.filter((a) => isIP(a) !== 0).map((a) => tlv(0x87, ipBytes(a))),
    tlv(0x82, Buffer.from('localhost', 'ascii')),
  );
  const extensions = seq(
    seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))), // basicConstraints: CA (its own root)
    seq(oid('2.5.29.15'), bool(true), octets(tlv(0x03, Buffer.from([0x02, 0x84])))), // digitalSignature, keyCertSign
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))), // extKeyUsage: serverAuth
    seq(oid('2.5.29.17'), octets(san)),
  );
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(time(nowMs - 3_600_000), time(nowMs + 10 * 365 * 86_400_000)),
    name,
    spki,
    tlv(0xa3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaWithSha256, bitString(signature));
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  const certPem = `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Whether a stored certificate still covers `address` and has at least a day left. */
export function isCertificateUsable(certPem: string, address: string, nowMs: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ok =
      isIP(address) !== 0 ? cert.checkIP(address) !== undefined : cert.checkHost(address) !== undefined;
    return ok && Date.parse(cert.validTo) > nowMs + 86_400_000;
  } catch {
    return false;
  }
}
