/**
 * Test fixtures shared by the controllers' tests: a started controller set over a FakeObjectClient
 * with a FakeClock and SeededRandom, and helpers that play the parts of the node agent (pod status).
 */
import { FakeClock } from '../../../core/clock.js';
import { SeededRandom } from '../../../core/random.js';
import type { KubeObject } from '../kube-object.js';
import { LabControllers } from './index.js';
import { asRecord } from './json-fields.js';
import { FakeObjectClient } from './object-client-fake.js';

export interface Kit {
  readonly clock: FakeClock;
  readonly client: FakeObjectClient;
  readonly controllers: LabControllers;
  /** Advances the fake clock then waits for the controllers to settle. */
  tick(ms: number): Promise<void>;
  settle(): Promise<void>;
}

export function startKit(seed = 1): Kit {
  const clock = new FakeClock();
  const client = new FakeObjectClient(clock);
  const controllers = new LabControllers(client, { clock, random: new SeededRandom(seed) });
  const settle = (): Promise<void> => controllers.whenIdle();
  return {
    clock,
    client,
    controllers,
    settle,
    tick: async (ms) => {
      await settle();
      clock.advance(ms);
      await settle();
    },
  };
}

function iso(clock: FakeClock): string {
  return new Date(clock.wallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** What a node agent writes: Running with an IP and Ready=`isReady` (transition time = now). */
export async function setPodReady(kit: Kit, pod: KubeObject, isReady: boolean, ip?: string): Promise<void> {
  const current = kit.client.get('pods', pod.metadata.namespace, pod.metadata.name ?? '');
  if (current === undefined) return;
  const status = asRecord(current['status']);
  const conditions = (Array.isArray(status['conditions']) ? status['conditions'] : [])
    .map(asRecord)
    .filter((c) => c['type'] !== 'Ready');
  conditions.push({ type: 'Ready', status: isReady ? 'True' : 'False', lastTransitionTime: iso(kit.clock) });
  await kit.client.updateStatus('pods', {
    ...current,
    status: {
      ...status,
      phase: 'Running',
      podIP: ip ?? status['podIP'] ?? `10.0.0.${(Number(current.metadata.uid?.slice(4)) % 250) + 1}`,
      conditions,
    },
  });
}

/** Marks every pod (optionally only those whose name starts with `prefix`) ready. */
export async function readyAll(kit: Kit, prefix = ''): Promise<void> {
  for (const pod of kit.client.list('pods', undefined).items) {
    if (!(pod.metadata.name ?? '').startsWith(prefix) || pod.metadata.deletionTimestamp !== undefined)
      continue;
    const ready = asRecord(pod['status'])['conditions'];
    const isReady =
      Array.isArray(ready) &&
      ready.some((c) => asRecord(c)['type'] === 'Ready' && asRecord(c)['status'] === 'True');
    if (!isReady) await setPodReady(kit, pod, true);
  }
  await kit.settle();
}
