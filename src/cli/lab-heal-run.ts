/**
 * `spillway lab heal [<target>]`: heals the pods of a target, or every pod of the lab (of
 * `--context`) when there is none.
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { healEverything, healPods } from '../lab/faults/fault-actions.js';
import { formatTarget, parseFaultTarget } from '../lab/faults/fault-target.js';
import { requireRunningLab } from '../lab/faults/running-lab.js';
import { resolveTargetPods } from '../lab/faults/target-pods.js';
import { resolveStateDir } from '../lab/supervisor/lab-state.js';
import {
  formatHealAllReport,
  formatHealReport,
  healAllReportJson,
  healReportJson,
} from './lab-fault-report.js';
import { reportFatal } from './report-fatal.js';

export interface LabHealOptions {
  context?: string;
  namespace?: string;
  service?: string;
  stateDir?: string;
  json?: boolean;
}

function print(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text);
}

export async function runLabHeal(targetText: string | undefined, options: LabHealOptions): Promise<number> {
  try {
    const isJson = options.json === true;
    const lab = requireRunningLab(resolveStateDir(options.stateDir));
    if (targetText === undefined) {
      for (const [flag, value] of [
        ['--namespace', options.namespace],
        ['--service', options.service],
      ] as const) {
        if (value !== undefined)
          throw new SpillwayError(
            ErrorCode.labTargetInvalid,
            `${flag} needs a target (e.g. spillway lab heal cluster/${lab.clusters[0]?.name ?? '<cluster>'} ${flag} ${value})`,
          );
      }
      let clusters = lab.clusters;
      if (options.context !== undefined) {
        clusters = lab.clusters.filter((c) => c.name === options.context);
        if (clusters.length === 0)
          throw new SpillwayError(
            ErrorCode.labTargetInvalid,
            `unknown cluster '${options.context}' (clusters of the lab: ${lab.clusters.map((c) => c.name).join(', ')})`,
          );
      }
      const nodes = await healEverything(lab, clusters);
      print(isJson, healAllReportJson(nodes), formatHealAllReport(nodes));
      return nodes.every((n) => n.error === undefined) ? 0 : 1;
    }
    const target = parseFaultTarget(targetText);
    const pods = await resolveTargetPods(lab, target, {
      namespace: options.namespace ?? 'default',
      ...(options.context !== undefined ? { context: options.context } : {}),
      ...(options.service !== undefined ? { service: options.service } : {}),
    });
    const outcomes = await healPods(pods);
    print(isJson, healReportJson(formatTarget(target), outcomes), formatHealReport(outcomes));
    return outcomes.every((o) => o.result !== 'failed') ? 0 : 1;
  } catch (err) {
    return reportFatal('lab heal', err);
  }
}
