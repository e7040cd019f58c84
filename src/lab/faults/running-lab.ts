/**
 * The lab `spillway lab fault|heal|logs` act on: the one of the state directory, which must be
 * running (its supervisor alive and the lab ready), since faults go to live node agents.
 */
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { inspectLab } from '../supervisor/lab-lock.js';
import type { LabState } from '../supervisor/lab-state.js';

/** lab.json of a running lab; throws SPILLWAY_ERR_LAB_NOT_RUNNING saying what is there instead. */
export function requireRunningLab(stateDir: string): LabState {
  const lab = inspectLab(stateDir);
  if (lab === undefined)
    throw new SpillwayError(
      ErrorCode.labNotRunning,
      `no lab in ${stateDir}: start one with \`spillway lab up --detach\` (or pass --state-dir)`,
    );
  if (!lab.isSupervisorAlive) {
    const why =
      lab.aliveProcesses.length > 0
        ? 'its supervisor crashed (clean up with `spillway lab down`)'
        : `it is ${lab.state.phase === 'failed' ? 'failed' : 'stopped'}`;
    throw new SpillwayError(
      ErrorCode.labNotRunning,
      `the lab in ${stateDir} is not running: ${why}; start it with \`spillway lab up --detach\``,
    );
  }
  if (lab.state.phase !== 'ready')
    throw new SpillwayError(
      ErrorCode.labNotRunning,
      `the lab in ${stateDir} is ${lab.state.phase}, not running yet (see \`spillway lab status\`)`,
    );
  return lab.state;
}
