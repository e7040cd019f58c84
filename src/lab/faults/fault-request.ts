/**
 * The fault a `spillway lab fault` command line asks for, as the node agent's control API body
 * (`PUT /v1/pods/<ns>/<name>/fault`, docs/adr/0013-lab-node-agent.md). Durations are written as
 * Kubernetes and Istio write them - Go's `time.ParseDuration` syntax (`30s`, `2m`, `1m30s`,
 * `250ms`) - and must be whole milliseconds, as the agent counts them. The body is checked with the
 * agent's own parser, so the command refuses exactly what the agent would.
 */
import { parseGoDurationMs } from '../../core/duration.js';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { faultKinds, parseFaultSpec, type FaultSpec } from '../node-agent/app-fault.js';

export interface FaultFlags {
  readonly kind?: string;
  readonly duration?: string;
  readonly delay?: string;
  readonly status?: string;
}

function invalid(message: string): SpillwayError {
  return new SpillwayError(ErrorCode.labFaultInvalid, message);
}

function durationMs(flag: string, text: string): number {
  const ms = parseGoDurationMs(text);
  if (ms === undefined || ms < 0) {
    throw invalid(
      `${flag} '${text}' is not a duration: write it as Kubernetes does, e.g. 30s, 2m, 1m30s, 500ms`,
    );
  }
  if (!Number.isInteger(ms)) throw invalid(`${flag} '${text}' must be whole milliseconds`);
  return ms;
}

/** The control API body for the flags; throws SPILLWAY_ERR_LAB_FAULT_INVALID naming the flag. */
export function faultRequestFromFlags(flags: FaultFlags): FaultSpec {
  if (flags.kind === undefined) throw invalid(`--kind is required (${faultKinds.join(', ')})`);
  if (!(faultKinds as readonly string[]).includes(flags.kind))
    throw invalid(`--kind must be one of ${faultKinds.join(', ')}, got '${flags.kind}'`);
  if (flags.delay !== undefined && flags.kind !== 'delay')
    throw invalid('--delay applies to --kind delay only');
  if (flags.status !== undefined && flags.kind !== 'http-5xx')
    throw invalid('--status applies to --kind http-5xx only');
  if (flags.duration !== undefined && flags.kind === 'kill')
    throw invalid('--kind kill happens once (the container restarts): --duration does not apply');
  const body: Record<string, unknown> = { kind: flags.kind };
  if (flags.duration !== undefined) {
    const ms = durationMs('--duration', flags.duration);
    if (ms === 0) throw invalid('--duration must be longer than 0 (leave it out to break until healed)');
    body['durationMs'] = ms;
  }
  if (flags.delay !== undefined) body['delayMs'] = durationMs('--delay', flags.delay);
  if (flags.status !== undefined) {
    if (!/^\d{3}$/.test(flags.status)) throw invalid(`--status must be a 5xx code, got '${flags.status}'`);
    body['status'] = Number(flags.status);
  }
  const spec = parseFaultSpec(body);
  if ('error' in spec) {
    // The agent's field names are its JSON body's; say which flag that is.
    const message = spec.error
      .replace(/^durationMs/, '--duration (in ms)')
      .replace(/^delayMs/, '--delay (in ms)')
      .replace(/^status/, '--status');
    throw invalid(message);
  }
  return spec;
}

/** `30s`, `2m`, `1m30s`, `1.5s`, `250ms`: how a duration given in ms reads back. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return (
    (hours > 0 ? `${hours}h` : '') +
    (minutes > 0 ? `${minutes}m` : '') +
    (seconds > 0 || (hours === 0 && minutes === 0) ? `${seconds}s` : '')
  );
}
