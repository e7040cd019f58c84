/**
 * `<stateDir>/lab.json`: what runs where (lab design "Processes"). The supervisor rewrites it (atomic
 * rename) whenever something changes; `lab status` reads it, and `lab down` uses its pids to stop a
 * lab whose supervisor died. Node agents may read it too (meshes' xDS addresses, the kubeconfig).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/write-file-atomic.js';
import type { PrometheusInfo } from '../observability/observability-server.js';

export type LabPhase = 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';
export type ProcessKind = 'apiserver' | 'node-agent' | 'control-plane' | 'prometheus';
export type ProcessPhase = 'starting' | 'running' | 'restarting' | 'exited' | 'stopped';

export interface ProcessState {
  /** `cluster-1/apiserver`, `cluster-1/node-agent/<node>`, `mesh-1/control-plane`. */
  readonly name: string;
  readonly kind: ProcessKind;
  readonly pid: number;
  /** Linux process start time (see process-identity.ts), to tell a reused pid apart. */
  readonly startTicks?: number;
  readonly command: readonly string[];
  readonly log: string;
  readonly phase: ProcessPhase;
  readonly restarts: number;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
}

export interface NodeState {
  readonly name: string;
  readonly zone: string;
  readonly address: string;
  readonly podCIDR: string;
  /** The node agent's own state directory. */
  readonly stateDir: string;
}

export interface ClusterState {
  readonly name: string;
  readonly region: string;
  readonly network: string;
  readonly zones: readonly string[];
  readonly apiServer: string;
  /** `<ip>:<port>` of the network load balancer. */
  readonly ingress: string;
  /** The Ready gateway pods the load balancer sends to (`<podIP>:8080`), as last seen. */
  readonly ingressTargets?: readonly string[];
  readonly dataDir: string;
  readonly nodes: readonly NodeState[];
}

export interface MeshState {
  readonly name: string;
  readonly region: string;
  readonly configCluster: string;
  readonly clusters: readonly string[];
  readonly xdsAddress: string;
  readonly adminAddress: string;
  /** `skipped` when no control plane command is available (see `reason`). */
  readonly state: 'planned' | 'running' | 'skipped';
  readonly reason?: string;
}

export interface LabState {
  readonly version: 1;
  readonly phase: LabPhase;
  readonly stateDir: string;
  readonly kubeconfig: string;
  readonly topology: { readonly name: string; readonly file?: string; readonly addressBase: number };
  readonly supervisor: {
    readonly pid: number;
    readonly startTicks?: number;
    readonly log: string;
    readonly startedAt: string;
    readonly readyAt?: string;
  };
  readonly clusters: readonly ClusterState[];
  readonly meshes: readonly MeshState[];
  readonly processes: readonly ProcessState[];
  readonly warnings: readonly string[];
  /** The supervisor's observability endpoint (ADR 0017): Prometheus HTTP SD and the proxy list. */
  readonly observability?: {
    /** `<ip>:<port>`. */
    readonly address: string;
    /** The `http_sd_configs` URL listing every proxy and control plane. */
    readonly targetsUrl: string;
    /** Bearer token file for `POST /v1/prometheus`. */
    readonly tokenFile: string;
  };
  /** The Prometheus `spillway lab prometheus` started, while it runs. */
  readonly prometheus?: PrometheusInfo;
  /** Why the lab failed to start, when phase is `failed`. */
  readonly error?: string;
}

/** `--state-dir`, else `$SPILLWAY_LAB_DIR`, else `~/.spillway/lab` (absolute). */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env['SPILLWAY_LAB_DIR'] ?? join(homedir(), '.spillway', 'lab');
  return resolve(chosen);
}

export function labStatePath(stateDir: string): string {
  return join(stateDir, 'lab.json');
}

export function writeLabState(state: LabState): void {
  mkdirSync(state.stateDir, { recursive: true });
  const path = labStatePath(state.stateDir);
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

function invalid(path: string, problem: string): SpillwayError {
  return new SpillwayError(ErrorCode.labStateInvalid, `${path}: ${problem}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** lab.json of `stateDir`, or undefined when there is none. Checks the fields `down` relies on. */
export function readLabState(stateDir: string): LabState | undefined {
  const path = labStatePath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(path, `cannot read: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(path, `not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(value) || value['version'] !== 1) throw invalid(path, 'not a version 1 lab state');
  const supervisor = value['supervisor'];
  if (!isRecord(supervisor) || typeof supervisor['pid'] !== 'number')
    throw invalid(path, 'supervisor.pid missing');
  const processes = value['processes'];
  if (!Array.isArray(processes)) throw invalid(path, 'processes missing');
  processes.forEach((p, i) => {
    if (!isRecord(p) || typeof p['pid'] !== 'number' || typeof p['name'] !== 'string') {
      throw invalid(path, `processes[${i}] has no name and pid`);
    }
  });
  for (const field of ['clusters', 'meshes', 'warnings']) {
    if (!Array.isArray(value[field])) throw invalid(path, `${field} missing`);
  }
  if (typeof value['kubeconfig'] !== 'string' || typeof value['phase'] !== 'string') {
    throw invalid(path, 'kubeconfig or phase missing');
  }
  return { ...(value as unknown as LabState), stateDir };
}
