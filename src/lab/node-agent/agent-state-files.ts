/**
 * The node agent's small files in its state directory: the control API token (`control-token`,
 * mode 0600, kept across restarts so callers' copies stay valid), where the control API listens
 * (`control.json`, for the supervisor and `spillway lab fault`), and the pod address allocator's
 * position (`ipam.json`, so a restarted agent does not hand out a just-freed address first).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../core/json-shape.js';
import type { PodIpAllocator } from './pod-address.js';

export function tokenPath(stateDir: string): string {
  return join(stateDir, 'control-token');
}

/** The token of `stateDir`, created on first use. */
export function readOrCreateToken(stateDir: string): string {
  const path = tokenPath(stateDir);
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    if (text !== '') return text;
  }
  // A credential: from the OS's CSPRNG, not the injected (possibly seeded) Random.
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** `control.json`: `{"node", "url", "pid", "tokenFile"}`. */
export function writeControlFile(stateDir: string, node: string, url: string): void {
  const body = { node, url, pid: process.pid, tokenFile: tokenPath(stateDir) };
  writeFileSync(join(stateDir, 'control.json'), `${JSON.stringify(body, null, 2)}\n`);
}

/** The last address reserved for `cidr` by a previous run, if it recorded one for the same range. */
export function readIpamPosition(stateDir: string, cidr: string): string | undefined {
  try {
    const saved = JSON.parse(readFileSync(join(stateDir, 'ipam.json'), 'utf8')) as unknown;
    return isRecord(saved) && saved['podCIDR'] === cidr && typeof saved['lastReserved'] === 'string'
      ? saved['lastReserved']
      : undefined;
  } catch {
    return undefined;
  }
}

export function writeIpamPosition(stateDir: string, allocator: PodIpAllocator): void {
  const body = {
    podCIDR: allocator.cidr.text,
    lastReserved: allocator.lastReservedAddress(),
    inUse: Object.fromEntries(allocator.inUse()),
  };
  writeFileSync(join(stateDir, 'ipam.json'), `${JSON.stringify(body, null, 1)}\n`);
}
