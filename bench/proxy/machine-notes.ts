/** What a reader needs to compare a result file with another machine or another day. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clockTicksPerSecond } from './proc-stats.js';
import type { ToolPaths } from './required-tools.js';

export interface MachineNotes {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly kernel: string;
  readonly os: string;
  readonly memoryGiB: number;
  readonly clockTicksPerS: number;
  /** 1/5/15-minute load average when the benchmark started: other work on the box skews results. */
  readonly loadAverageAtStart: readonly number[];
  readonly node: string;
  readonly nginx: string;
  readonly haproxy: string;
  readonly wrk: string;
  /** `git rev-parse HEAD` of the Spillway checkout, with `-dirty` when it has local changes. */
  readonly spillwayRevision: string;
}

/**
 * The repository root: the nearest directory above this compiled file whose package.json is
 * Spillway's (three levels up from `dist/bench/proxy/`, more from a private `--outDir`).
 */
export function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'spillway') return `${dir}${sep}`;
    } catch {
      // no package.json here
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the Spillway repository (package.json) above bench/proxy');
    dir = parent;
  }
}

const REPO_ROOT = findRepoRoot();

/** First non-empty line a `--version`-style command prints, on stdout or stderr, whatever its exit status. */
function firstLine(command: string, args: readonly string[]): string {
  // nginx -v prints to stderr; wrk -v exits with status 1.
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? 'unknown'
  );
}

export function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
}

export function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return match?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function revision(): string {
  try {
    const git = (args: string[]): string =>
      execFileSync('git', ['--no-optional-locks', '-C', REPO_ROOT, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const head = git(['rev-parse', '--short=12', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) === '' ? head : `${head}-dirty`;
  } catch {
    return 'unknown';
  }
}

export function collectMachineNotes(tools: ToolPaths): MachineNotes {
  return {
    cpuModel: cpuModel(),
    cpuCount: cpus().length,
    kernel: release(),
    os: osName(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    clockTicksPerS: clockTicksPerSecond(),
    loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    node: process.version,
    nginx: firstLine(tools.nginx, ['-v']),
    haproxy: firstLine(tools.haproxy, ['-v']),
    wrk: firstLine(tools.wrk, ['-v']),
    spillwayRevision: revision(),
  };
}
