import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './write-file-atomic.js';

test('writeFileAtomic replaces the file whole, applies the mode and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-atomic-'));
  try {
    const path = join(dir, 'admin.address');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, '127.0.0.1:15000', { mode: 0o600 });
    assert.equal(readFileSync(path, 'utf8'), '127.0.0.1:15000');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['admin.address']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
