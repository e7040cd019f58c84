/**
 * `spillway lab fault <target> --kind ...`: resolves the target's pods through the lab's API
 * servers and breaks them through their node agents (src/lab/faults/).
 */
import { breakPods } from '../lab/faults/fault-actions.js';
import { faultRequestFromFlags } from '../lab/faults/fault-request.js';
import { formatTarget, parseFaultTarget } from '../lab/faults/fault-target.js';
import { requireRunningLab } from '../lab/faults/running-lab.js';
import { resolveTargetPods } from '../lab/faults/target-pods.js';
import { resolveStateDir } from '../lab/supervisor/lab-state.js';
import { faultReportJson, formatFaultReport } from './lab-fault-report.js';
import { reportFatal } from './report-fatal.js';

export interface LabFaultOptions {
  kind?: string;
  duration?: string;
  delay?: string;
  status?: string;
  context?: string;
  namespace?: string;
  service?: string;
  stateDir?: string;
  json?: boolean;
}

export async function runLabFault(targetText: string, options: LabFaultOptions): Promise<number> {
  try {
    const target = parseFaultTarget(targetText);
    const spec = faultRequestFromFlags(options);
    const lab = requireRunningLab(resolveStateDir(options.stateDir));
    const namespace = options.namespace ?? 'default';
    const pods = await resolveTargetPods(lab, target, {
      namespace,
      ...(options.context !== undefined ? { context: options.context } : {}),
      ...(options.service !== undefined ? { service: options.service } : {}),
    });
    const outcomes = await breakPods(pods, spec);
    const healCommand = [
      'spillway lab heal',
      formatTarget(target),
      ...(options.context !== undefined ? ['--context', options.context] : []),
      ...(options.namespace !== undefined ? ['-n', options.namespace] : []),
      ...(options.service !== undefined ? ['--service', options.service] : []),
      ...(options.stateDir !== undefined ? ['--state-dir', options.stateDir] : []),
    ].join(' ');
    const report = {
      target: formatTarget(target),
      healCommand,
      namespace,
      service: options.service,
      spec,
      outcomes,
    };
    process.stdout.write(
      options.json === true
        ? `${JSON.stringify(faultReportJson(report), null, 2)}\n`
        : formatFaultReport(report),
    );
    return outcomes.every((o) => o.result === 'broken') ? 0 : 1;
  } catch (err) {
    return reportFatal('lab fault', err);
  }
}
