/**
 * The lab cluster's controllers (contract; implemented in this folder): deployments -> replica sets
 * -> pods with rolling updates, the scheduler, endpoint slices, garbage collection, namespace
 * deletion. They act only through the ObjectClient, like real controllers through the API.
 */
import type { Clock } from '../../../core/clock.js';
import type { Random } from '../../../core/random.js';
import type { ObjectClient } from '../object-client.js';
import type { ControllerContext } from './controller-context.js';
import { DeploymentController } from './deployment-controller.js';
import { EndpointSliceController } from './endpoint-slice-controller.js';
import { EventRecorder } from './event-recorder.js';
import { GarbageCollector } from './garbage-collector.js';
import { NamespaceController } from './namespace-controller.js';
import type { ReconcileLoop } from './reconcile-loop.js';
import { ReplicaSetController } from './replica-set-controller.js';
import { Scheduler } from './scheduler.js';

export interface ControllerDeps {
  readonly clock: Clock;
  readonly random: Random;
}

export interface RunningControllers {
  stop(): Promise<void>;
}

interface Stoppable {
  readonly loop: ReconcileLoop;
  stop(): Promise<void>;
}

/** The running set of controllers; `whenIdle` lets tests wait until every queue has drained. */
export class LabControllers implements RunningControllers {
  private readonly controllers: Stoppable[];
  private readonly recorder: EventRecorder;

  constructor(client: ObjectClient, deps: ControllerDeps) {
    this.recorder = new EventRecorder(client, deps.clock);
    const ctx: ControllerContext = {
      client,
      clock: deps.clock,
      random: deps.random,
      recorder: this.recorder,
    };
    this.controllers = [
      new DeploymentController(ctx),
      new ReplicaSetController(ctx),
      new Scheduler(ctx),
      new EndpointSliceController(ctx),
      new GarbageCollector(ctx),
      new NamespaceController(ctx),
    ];
  }

  /** Resolves once no controller has queued or running work and every event has been written. */
  async whenIdle(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      await Promise.all(this.controllers.map((c) => c.loop.whenIdle()));
      await this.recorder.flush();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.controllers.every((c) => c.loop.isIdle())) return;
    }
    throw new Error('controllers did not settle');
  }

  /** Reconcile counts per controller (diagnostics). */
  stats(): Record<string, { reconciles: number; failures: number }> {
    return Object.fromEntries(this.controllers.map((c) => [c.loop.name, { ...c.loop.stats }]));
  }

  /** Errors of the last failed reconcile per controller and key (diagnostics). */
  lastErrors(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const c of this.controllers)
      for (const [k, v] of c.loop.lastErrors) out.set(`${c.loop.name} ${k}`, v);
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    await this.recorder.flush();
  }
}

/** Starts every controller against `client`; `stop()` ends their watches and timers. */
export function startControllers(client: ObjectClient, deps: ControllerDeps): RunningControllers {
  return new LabControllers(client, deps);
}
