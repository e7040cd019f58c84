/**
 * `spillway lab logs <pod> [-c <container>|sidecar] [--tail N]`: a container's log, read through
 * the node agent of the pod's node (`GET /v1/pods/<ns>/<name>/log`), as `kubectl logs` reads it
 * through the kubelet. `--tail` counts lines as kubectl's does (`-1`: everything).
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { isRecord, stringAt } from '../core/json-shape.js';
import { parseFaultTarget } from '../lab/faults/fault-target.js';
import { NodeAgentClient } from '../lab/faults/node-agent-client.js';
import { requireRunningLab } from '../lab/faults/running-lab.js';
import { resolveTargetPods } from '../lab/faults/target-pods.js';
import { resolveStateDir } from '../lab/supervisor/lab-state.js';
import { reportFatal } from './report-fatal.js';

export interface LabLogsOptions {
  container?: string;
  context?: string;
  namespace?: string;
  tail: string;
  stateDir?: string;
}

/** The last `lines` lines of `text` (all of it for -1), a trailing newline kept. */
export function lastLines(text: string, lines: number): string {
  if (lines < 0) return text;
  if (lines === 0) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const all = body === '' ? [] : body.split('\n');
  const kept = all.slice(Math.max(0, all.length - lines)).join('\n');
  return kept === '' ? '' : `${kept}\n`;
}

export async function runLabLogs(podText: string, options: LabLogsOptions): Promise<number> {
  try {
    if (!/^-?\d+$/.test(options.tail) || Number(options.tail) < -1)
      throw new SpillwayError(
        ErrorCode.labTargetInvalid,
        `--tail must be a number of lines (-1: all), got '${options.tail}'`,
      );
    const target = parseFaultTarget(podText);
    if (target.kind !== 'pod')
      throw new SpillwayError(
        ErrorCode.labTargetInvalid,
        `lab logs reads one pod: give pod/<name>, not ${podText}`,
      );
    const lab = requireRunningLab(resolveStateDir(options.stateDir));
    const [pod] = await resolveTargetPods(lab, target, {
      namespace: options.namespace ?? 'default',
      ...(options.context !== undefined ? { context: options.context } : {}),
    });
    if (pod === undefined || pod.nodeStateDir === undefined)
      throw new SpillwayError(ErrorCode.labAgentUnreachable, `pod ${podText} is not on a node of this lab`);
    const agent = new NodeAgentClient(pod.node, pod.nodeStateDir);
    const info = await agent.pod(pod.namespace, pod.name);
    const containers = (Array.isArray(info['containers']) ? info['containers'] : [])
      .filter(isRecord)
      .map((c) => stringAt(c, 'name') ?? '');
    let container = options.container;
    if (container === 'sidecar' && !containers.includes('sidecar')) {
      const proxy = info['proxy'];
      container = isRecord(proxy) ? stringAt(proxy, 'container') : undefined;
      if (container === undefined)
        throw new SpillwayError(
          ErrorCode.labTargetInvalid,
          `pod ${pod.name} has no sidecar (containers: ${containers.join(', ')})`,
        );
    }
    if (container !== undefined && !containers.includes(container))
      throw new SpillwayError(
        ErrorCode.labTargetInvalid,
        `pod ${pod.name} has no container ${container} (containers: ${containers.join(', ')}; 'sidecar': its istio-proxy)`,
      );
    const text = await agent.log(pod.namespace, pod.name, container);
    process.stdout.write(lastLines(text, Number(options.tail)));
    return 0;
  } catch (err) {
    return reportFatal('lab logs', err);
  }
}
