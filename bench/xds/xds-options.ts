/** Command-line options of `npm run bench:xds -- [options]`. */

export interface XdsBenchOptions {
  readonly scenarios: readonly ('A' | 'B')[];
  /** Endpoint changes measured per scenario. */
  readonly changes: number;
  /** Pause between the end of one change (every proxy ACKed) and the next write. */
  readonly spacingMs: number;
  /** Length of the steady-state window (no changes) for CPU and RSS. */
  readonly steadyS: number;
  /** Load processes per scenario (undefined: 1 for A, 2 for B). */
  readonly loadProcesses: number | undefined;
  readonly isPinned: boolean;
  readonly isProfile: boolean;
  /** Extra `node` flags for the control plane (investigations: --trace-gc, --max-old-space-size=...). */
  readonly controlPlaneNodeFlags: readonly string[];
  /** Keep the temp directory (process logs, kubeconfigs, profiles) even after a successful run. */
  readonly isKeepLogs: boolean;
  readonly isJson: boolean;
  readonly isSave: boolean;
  readonly isHelp: boolean;
}

export const HELP = `Usage: npm run bench:xds -- [options]
       (or, once built: node dist/bench/xds/main.js [options])

Measures the control plane (issue 4, "Performance"): two lab API servers as two Kubernetes clusters,
a real \`spillway control-plane\` process (cluster-1 its own, cluster-2 remote) and simulated sidecars
(raw ADS state-of-the-world clients on grpc-js, in separate load processes). Per scenario: initial
full sync, CPU and RSS in steady state, then N EndpointSlice updates, each timed from the write to
the moment every proxy has received and ACKed the resulting EDS push.

  A: 100 proxies, 100 services, 1,000 endpoints     target p99 <= 100 ms
  B: 1,000 proxies, 1,000 services, 10,000 endpoints target p99 <= 250 ms, RSS <= 300 MB

Options:
  --scenario A|B       run only this scenario (default: A, then B; about 3 minutes in all)
  --changes N          endpoint changes per scenario (default 20; p99 needs at least 20)
  --spacing-ms MS      pause between changes (default 1000)
  --steady-s S         steady-state window, no changes (default 10)
  --load-processes N   processes that hold the simulated proxies (default 1 for A, 2 for B)
  --no-pin             do not pin the control plane to CPU 0 and everything else to CPU 1
  --profile            run the control plane under node --cpu-prof and report where the change
                       phase's CPU time goes (registry, translation, consistency check, xDS server...)
  --cp-node-flags F    extra node flags for the control plane, space-separated (e.g. "--trace-gc")
  --keep-logs          keep the temp directory with every process's log after a successful run
  --json               print the JSON result on stdout instead of the tables (progress stays on stderr)
  --save               write bench/results/<YYYY-MM-DD>-xds.md and .json
  --help               show this help

Exit status: 0 when the run completed (whether or not the targets are met), 1 when it failed,
2 for bad options.`;

export class OptionsError extends Error {}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1)
    throw new OptionsError(`${flag} needs a positive integer, got '${value ?? ''}'`);
  return n;
}

export function parseXdsBenchOptions(argv: readonly string[]): XdsBenchOptions {
  let scenarios: ('A' | 'B')[] = ['A', 'B'];
  let changes = 20;
  let spacingMs = 1000;
  let steadyS = 10;
  let loadProcesses: number | undefined;
  let isPinned = true;
  let isProfile = false;
  let controlPlaneNodeFlags: string[] = [];
  let isKeepLogs = false;
  let isJson = false;
  let isSave = false;
  let isHelp = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--scenario': {
        const s = value()?.toUpperCase();
        if (s !== 'A' && s !== 'B') throw new OptionsError(`--scenario takes A or B, got '${s ?? ''}'`);
        scenarios = [s];
        break;
      }
      case '--changes':
        changes = positiveInt('--changes', value());
        if (changes > 1000) throw new OptionsError('--changes is at most 1000');
        break;
      case '--spacing-ms':
        spacingMs = positiveInt('--spacing-ms', value());
        break;
      case '--steady-s':
        steadyS = positiveInt('--steady-s', value());
        break;
      case '--load-processes':
        loadProcesses = positiveInt('--load-processes', value());
        if (loadProcesses > 8) throw new OptionsError('--load-processes is at most 8');
        break;
      case '--no-pin':
        isPinned = false;
        break;
      case '--profile':
        isProfile = true;
        break;
      case '--cp-node-flags': {
        const flags = value();
        if (flags === undefined || !flags.trim().startsWith('--'))
          throw new OptionsError(
            `--cp-node-flags takes node flags such as "--trace-gc", got '${flags ?? ''}'`,
          );
        controlPlaneNodeFlags = flags.trim().split(/\s+/);
        break;
      }
      case '--keep-logs':
        isKeepLogs = true;
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
    scenarios,
    changes,
    spacingMs,
    steadyS,
    loadProcesses,
    isPinned,
    isProfile,
    controlPlaneNodeFlags,
    isKeepLogs,
    isJson,
    isSave,
    isHelp,
  };
}
