/**
 * The external programs the benchmark runs, found on PATH or in the sbin directories Debian installs
 * daemons into (nginx and haproxy live in /usr/sbin, often not on a non-root PATH).
 */
import { accessSync, constants } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, join } from 'node:path';

export interface ToolPaths {
  readonly nginx: string;
  readonly haproxy: string;
  readonly wrk: string;
  readonly taskset: string;
}

/** Tool -> the Debian package that provides it. */
const PACKAGES: Record<keyof ToolPaths, string> = {
  nginx: 'nginx-light',
  haproxy: 'haproxy',
  wrk: 'wrk',
  taskset: 'util-linux',
};

export class MissingToolsError extends Error {}

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Finds every tool or throws one message naming all missing ones and their Debian packages. */
export function findRequiredTools(): ToolPaths {
  const missing: string[] = [];
  const found: Partial<Record<keyof ToolPaths, string>> = {};
  for (const tool of Object.keys(PACKAGES) as (keyof ToolPaths)[]) {
    const path = findExecutable(tool);
    if (path === undefined) missing.push(tool);
    else found[tool] = path;
  }
  if (process.platform !== 'linux') {
    throw new MissingToolsError('bench:proxy needs Linux (it reads CPU time and RSS from /proc).');
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => PACKAGES[tool as keyof ToolPaths]))];
    throw new MissingToolsError(
      `bench:proxy needs ${missing.join(', ')}, not found on PATH or in /usr/sbin.\n` +
        `Install the Debian package${packages.length > 1 ? 's' : ''}: sudo apt-get install ${packages.join(' ')}`,
    );
  }
  if (cpus().length < 2) {
    throw new MissingToolsError(
      'bench:proxy needs at least 2 CPUs: the proxy under test is pinned alone to one, wrk and the backend to another.',
    );
  }
  return found as ToolPaths;
}
