import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionHash, xxHash64 } from './version-hash.js';

test('xxHash64 matches the reference vectors for short, 4-, 8- and 32-byte-stripe inputs', () => {
  // Reference values of XXH64(input, seed 0) from the xxHash project's own test vectors / CLI.
  assert.equal(xxHash64(new Uint8Array()), 0xef46db3751d8e999n);
  assert.equal(versionHash('a'), 0xd24ec4f1a98c6e5bn);
  assert.equal(versionHash('abc'), 0x44bc2cf5ad770999n);
  assert.equal(versionHash('message digest'), 0x066ed728fceeb3ben);
  assert.equal(versionHash('abcdefghijklmnopqrstuvwxyz'), 0xcfe1f278fa89835cn);
  assert.equal(
    versionHash('12345678901234567890123456789012345678901234567890123456789012345678901234567890'),
    0xe04a477f19ee145dn,
  );
});
