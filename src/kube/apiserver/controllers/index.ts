/**
 * The lab cluster's controllers (contract; implemented in this folder): deployments -> replica sets
 * -> pods with rolling updates, the scheduler, endpoint slices, garbage collection, the default
 * namespace. They act only through the ObjectClient, like real controllers through the API.
 */
import type { Clock } from '../../../core/clock.js';
import type { Random } from '../../../core/random.js';
import type { ObjectClient } from '../object-client.js';

export interface ControllerDeps {
  readonly clock: Clock;
  readonly random: Random;
}

export interface RunningControllers {
  stop(): Promise<void>;
}

export function startControllers(client: ObjectClient, deps: ControllerDeps): RunningControllers {
  void client;
  void deps;
  return { stop: async () => {} };
}
