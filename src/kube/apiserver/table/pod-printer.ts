/**
 * The pod printer of kube-apiserver (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`
 * `printPod`): READY counts ready running containers, STATUS is the most telling container state,
 * RESTARTS adds how long ago the last restart was.
 */
import { arrayAt, boolAt, numberAt, recordAt, stringAt } from '../../../core/json-shape.js';
import { ageOf, nameOf, orNone } from './printer-cells.js';
import type { Printer } from './columns.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { timestampSince } from './human-duration.js';

export const podPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Ready containers of the pod out of all its containers.'),
    column('Status', 'string', 'Aggregate status of the pod and its containers.'),
    column('Restarts', 'string', 'Container restarts, and how long ago the last one was.'),
    ageColumn,
    column('IP', 'string', 'IP address of the pod (status.podIPs[0]).', 1),
    column('Node', 'string', 'Node the pod is bound to (spec.nodeName).', 1),
    column('Nominated Node', 'string', 'Node nominated by preemption (status.nominatedNodeName).', 1),
    column('Readiness Gates', 'string', 'Readiness gates whose condition is True.', 1),
  ],
  cells(o, nowMs) {
    const spec = o['spec'];
    const status = o['status'];
    const total = (arrayAt(spec, 'containers') ?? []).length;
    let reason = stringAt(status, 'reason') ?? stringAt(status, 'phase') ?? '';
    let restarts = 0;
    let ready = 0;
    let lastRestartMs = 0;
    let hasRunning = false;
    const statuses = arrayAt(status, 'containerStatuses') ?? [];
    // printPod walks the statuses last to first, so the first container's state wins the reason.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += numberAt(cs, 'restartCount') ?? 0;
      const finished = stringAt(recordAt(recordAt(cs, 'lastState'), 'terminated'), 'finishedAt');
      if (finished !== undefined) lastRestartMs = Math.max(lastRestartMs, Date.parse(finished) || 0);
      const state = recordAt(cs, 'state');
      const waiting = recordAt(state, 'waiting');
      const terminated = recordAt(state, 'terminated');
      if (waiting !== undefined && (stringAt(waiting, 'reason') ?? '') !== '')
        reason = stringAt(waiting, 'reason') ?? '';
      else if (terminated !== undefined && (stringAt(terminated, 'reason') ?? '') !== '')
        reason = stringAt(terminated, 'reason') ?? '';
      else if (terminated !== undefined) {
        const signal = numberAt(terminated, 'signal') ?? 0;
        reason = signal !== 0 ? `Signal:${signal}` : `ExitCode:${numberAt(terminated, 'exitCode') ?? 0}`;
      } else if (boolAt(cs, 'ready') === true && recordAt(state, 'running') !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    const conditions = arrayAt(status, 'conditions') ?? [];
    if (reason === 'Completed' && hasRunning) {
      const podReady = conditions.some(
        (c) => stringAt(c, 'type') === 'Ready' && stringAt(c, 'status') === 'True',
      );
      reason = podReady ? 'Running' : 'NotReady';
    }
    const phase = stringAt(status, 'phase') ?? '';
    if (stringAt(o['metadata'], 'deletionTimestamp') !== undefined) {
      if (stringAt(status, 'reason') === 'NodeLost') reason = 'Unknown';
      else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
    }
    const restartText =
      restarts !== 0 && lastRestartMs !== 0
        ? `${restarts} (${timestampSince(new Date(lastRestartMs).toISOString(), nowMs)} ago)`
        : `${restarts}`;
    const gates = arrayAt(spec, 'readinessGates') ?? [];
    let gatesText = '<none>';
    if (gates.length > 0) {
      const trueGates = gates.filter((g) =>
        conditions.some(
          (c) => stringAt(c, 'type') === stringAt(g, 'conditionType') && stringAt(c, 'status') === 'True',
        ),
      ).length;
      gatesText = `${trueGates}/${gates.length}`;
    }
    const podIP = stringAt((arrayAt(status, 'podIPs') ?? [])[0], 'ip') ?? stringAt(status, 'podIP');
    return [
      nameOf(o),
      `${ready}/${total}`,
      reason,
      restartText,
      ageOf(o, nowMs),
      orNone(podIP),
      orNone(stringAt(spec, 'nodeName')),
      orNone(stringAt(status, 'nominatedNodeName')),
      gatesText,
    ];
  },
};
