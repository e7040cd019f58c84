/** Command-line options of `npm run bench:proxy -- [options]`. */

export interface BenchOptions {
  readonly rounds: number;
  /** Seconds per throughput run (wrk -c50); latency runs (wrk -c1) take the same. */
  readonly durationS: number;
  readonly failoverRuns: number;
  readonly fleetSize: number;
  readonly parts: { readonly throughput: boolean; readonly failover: boolean };
  readonly isProfile: boolean;
  readonly isJson: boolean;
  readonly isSave: boolean;
  readonly isHelp: boolean;
}

export const HELP = `Usage: npm run bench:proxy -- [options]
       (or, once built: node dist/bench/proxy/main.js [options])

Measures Spillway's proxy side by side with nginx and HAProxy (one worker each, upstream keep-alive)
and a bare Node HTTP server, in interleaved rounds, then runs the failover benchmark.
Needs Linux, 2+ CPUs and the Debian packages nginx-light, haproxy, wrk, util-linux.

Options:
  --rounds N          interleaved rounds (default 5, at least 1; the targets need 5)
  --duration S        seconds per wrk run; each round does one -c50 and one -c1 run per target
                      (default 3: about 4 minutes in all)
  --failover-runs N   runs of each failover variant (default 2; 0 skips the failover benchmark)
  --only PART         run only 'throughput' or only 'failover'
  --profile           also profile Spillway under load (node --cpu-prof) and list the hottest functions
  --json              print the JSON result on stdout instead of the tables (progress stays on stderr)
  --save              write bench/results/<YYYY-MM-DD>-proxy.md and .json
  --help              show this help

Exit status: 0 when the run completed (whether or not the targets are met), 1 when it failed,
2 for bad options or missing tools.`;

export class OptionsError extends Error {}

function positiveInt(flag: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new OptionsError(
      `${flag} needs a${allowZero ? ' non-negative' : ' positive'} integer, got '${value ?? ''}'`,
    );
  }
  return n;
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let rounds = 5;
  let durationS = 3;
  let failoverRuns = 2;
  let only: string | undefined;
  let isProfile = false;
  let isJson = false;
  let isSave = false;
  let isHelp = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--rounds':
        rounds = positiveInt('--rounds', value());
        break;
      case '--duration':
        durationS = positiveInt('--duration', value());
        break;
      case '--failover-runs':
        failoverRuns = positiveInt('--failover-runs', value(), true);
        break;
      case '--only':
        only = value();
        if (only !== 'throughput' && only !== 'failover') {
          throw new OptionsError(`--only takes 'throughput' or 'failover', got '${only ?? ''}'`);
        }
        break;
      case '--profile':
        isProfile = true;
        break;
      case '--json':
        isJson = true;
        break;
      case '--save':
        isSave = true;
        break;
      case '--help':
      case '-h':
        isHelp = true;
        break;
      default:
        throw new OptionsError(`unknown option '${arg}' (see --help)`);
    }
  }
  return {
    rounds,
    durationS,
    failoverRuns,
    fleetSize: 1000,
    parts: {
      throughput: only !== 'failover',
      failover: only !== 'throughput' && failoverRuns > 0,
    },
    isProfile,
    isJson,
    isSave,
    isHelp,
  };
}
