/**
 * xxHash64 with seed 0, which Envoy uses for the `version` gauge of every xDS subscription
 * (`SubscriptionStats::version_` = `HashUtil::xxHash64(version_info)`, source/common/common/hash.h).
 * Implemented from the published xxHash64 algorithm (https://github.com/Cyan4973/xxHash, XXH64).
 */
const mask = (1n << 64n) - 1n;
const p1 = 11400714785074694791n;
const p2 = 14029467366897019727n;
const p3 = 1609587929392839161n;
const p4 = 9650029242287828579n;
const p5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & mask;
const mul = (a: bigint, b: bigint): bigint => (a * b) & mask;
const add = (a: bigint, b: bigint): bigint => (a + b) & mask;
const round = (acc: bigint, lane: bigint): bigint => mul(rotl(add(acc, mul(lane, p2)), 31n), p1);
const mergeRound = (acc: bigint, value: bigint): bigint => add(mul(acc ^ round(0n, value), p1), p4);

/** XXH64(bytes, seed 0) as an unsigned 64-bit integer. */
export function xxHash64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  let offset = 0;
  let h: bigint;
  if (length >= 32) {
    let v1 = add(p1, p2);
    let v2 = p2;
    let v3 = 0n;
    let v4 = (mask + 1n - p1) & mask;
    for (; offset + 32 <= length; offset += 32) {
      v1 = round(v1, view.getBigUint64(offset, true));
      v2 = round(v2, view.getBigUint64(offset + 8, true));
      v3 = round(v3, view.getBigUint64(offset + 16, true));
      v4 = round(v4, view.getBigUint64(offset + 24, true));
    }
    h = add(add(rotl(v1, 1n), rotl(v2, 7n)), add(rotl(v3, 12n), rotl(v4, 18n)));
    h = mergeRound(mergeRound(mergeRound(mergeRound(h, v1), v2), v3), v4);
  } else {
    h = p5;
  }
  h = add(h, BigInt(length));
  for (; offset + 8 <= length; offset += 8) {
    h = add(mul(rotl(h ^ round(0n, view.getBigUint64(offset, true)), 27n), p1), p4);
  }
  if (offset + 4 <= length) {
    h = add(mul(rotl(h ^ mul(BigInt(view.getUint32(offset, true)), p1), 23n), p2), p3);
    offset += 4;
  }
  for (; offset < length; offset++) {
    h = mul(rotl(h ^ mul(BigInt(bytes[offset] as number), p5), 11n), p1);
  }
  h = mul(h ^ (h >> 33n), p2);
  h = mul(h ^ (h >> 29n), p3);
  return h ^ (h >> 32n);
}

/** Envoy's `version` gauge value for a `version_info`. */
export function versionHash(versionInfo: string): bigint {
  return xxHash64(new TextEncoder().encode(versionInfo));
}
