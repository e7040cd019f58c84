/**
 * The seed's drill as lab tests run it: the Deployment's app container becomes the seed's curl image
 * sleeping (Ready, listening on nothing), as the seed's `kubectl edit` does; then the rollout is awaited
 * until the drilled pod is Ready and the pod it replaced is gone.
 */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../support/wait-for.js';
import { isPodReady } from './pod-helpers.js';

export const seedCurlImage = 'registry.cn-hangzhou.aliyuncs.com/acs/curl:8.1.2';

export interface DrillTarget {
  kubectl(args: string[]): Promise<{ code: number | null; stderr: string }>;
  pods(): Promise<readonly V1Pod[]>;
}

/** Breaks `deployment` as the seed does and returns the drilled pod once it is Ready and `oldUid` is gone. */
export async function breakAsSeed(
  target: DrillTarget,
  deployment: string,
  oldUid: string | undefined,
  wait: { timeoutMs: number; intervalMs: number },
): Promise<V1Pod> {
  const patch = {
    spec: {
      template: {
        spec: { containers: [{ name: 'default', image: seedCurlImage, command: ['sleep', '36000'] }] },
      },
    },
  };
  const r = await target.kubectl(['patch', 'deployment', deployment, '-p', JSON.stringify(patch)]);
  assert.equal(r.code, 0, r.stderr);
  return waitFor(
    'the drilled pod Ready, the old one gone',
    async () => {
      const list = await target.pods();
      const fresh = list.find(
        (p) =>
          p.metadata?.name?.startsWith(`${deployment}-`) &&
          p.spec?.containers[0]?.image === seedCurlImage &&
          isPodReady(p),
      );
      const old = list.find((p) => p.metadata?.uid === oldUid);
      return fresh !== undefined && old === undefined ? fresh : undefined;
    },
    wait,
  );
}
