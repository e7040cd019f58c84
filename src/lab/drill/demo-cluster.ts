/**
 * What the demo does through one lab cluster's Kubernetes API (the lab's own small client,
 * lab-api-client.ts): applies the demo app with server-side apply (field manager `spillway-demo`,
 * as `kubectl apply --server-side` would), edits a Deployment's app container with a strategic
 * merge patch (what `kubectl edit` / `kubectl patch` send for a Deployment), and reads the demo's
 * pods.
 */
import { clientFor } from '../supervisor/cluster-setup.js';
import type { LabApiClient } from '../supervisor/lab-api-client.js';
import {
  appContainer,
  brokenCommand,
  brokenImage,
  demoServices,
  objectUrlPath,
  sampleImage,
  type DemoService,
  type KubeObject,
} from './demo-manifests.js';

const fieldManager = 'spillway-demo';

export interface DemoPod {
  readonly name: string;
  readonly app: string;
  /** The `locality` label: the zone its Deployment pins it to. */
  readonly zone: string;
  readonly ip: string | undefined;
  readonly image: string | undefined;
  readonly isReady: boolean;
  readonly isTerminating: boolean;
}

type Json = Record<string, unknown>;

function record(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function toDemoPod(raw: unknown): DemoPod {
  const pod = record(raw);
  const metadata = record(pod['metadata']);
  const labels = record(metadata['labels']);
  const spec = record(pod['spec']);
  const status = record(pod['status']);
  const containers = Array.isArray(spec['containers']) ? spec['containers'].map(record) : [];
  const app = containers.find((c) => c['name'] === appContainer);
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].map(record) : [];
  return {
    name: String(metadata['name'] ?? ''),
    app: String(labels['app'] ?? ''),
    zone: String(labels['locality'] ?? ''),
    ip: typeof status['podIP'] === 'string' ? status['podIP'] : undefined,
    image: typeof app?.['image'] === 'string' ? app['image'] : undefined,
    isReady: conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True'),
    isTerminating: metadata['deletionTimestamp'] !== undefined,
  };
}

/** `broken`: the seed's bad release (image + `sleep 36000`); `healthy`: the edit reverted. */
export type AppVersion = 'broken' | 'healthy';

export function appImage(version: AppVersion): string {
  return version === 'broken' ? brokenImage : sampleImage;
}

export class DemoCluster {
  readonly client: LabApiClient;

  constructor(
    readonly name: string,
    kubeconfig: string,
  ) {
    this.client = clientFor(kubeconfig, name);
  }

  async apply(objects: readonly KubeObject[]): Promise<void> {
    for (const object of objects) {
      await this.client.request(
        'PATCH',
        `${objectUrlPath(object)}?fieldManager=${fieldManager}&force=true`,
        object,
        'application/apply-patch+yaml',
      );
    }
  }

  /**
   * The seed's drill edit of a Deployment's app container, or its revert. The revert sets the image
   * back and removes the command (`null` deletes a field in a strategic merge patch), which gives
   * the Deployment its original pod template again, as `kubectl rollout undo` would.
   */
  async setAppVersion(deployment: string, version: AppVersion): Promise<void> {
    const container =
      version === 'broken'
        ? { name: appContainer, image: brokenImage, command: brokenCommand }
        : { name: appContainer, image: sampleImage, command: null };
    await this.client.request(
      'PATCH',
      `/apis/apps/v1/namespaces/default/deployments/${encodeURIComponent(deployment)}?fieldManager=kubectl-edit`,
      { spec: { template: { spec: { containers: [container] } } } },
      'application/strategic-merge-patch+json',
    );
  }

  /** The demo's pods (label `app` one of the demo services), optionally of one service. */
  async pods(service?: DemoService): Promise<DemoPod[]> {
    const query = service !== undefined ? `?labelSelector=${encodeURIComponent(`app=${service}`)}` : '';
    const list = await this.client.get(`/api/v1/namespaces/default/pods${query}`);
    return (Array.isArray(list['items']) ? list['items'] : [])
      .map(toDemoPod)
      .filter((p) => (demoServices as readonly string[]).includes(p.app));
  }

  /** The Deployment `<service>-<zone>` has rolled out `version`: one pod, that image, Ready, nothing terminating. */
  async hasRolledOut(service: DemoService, zone: string, version: AppVersion): Promise<boolean> {
    const pods = (await this.pods(service)).filter((p) => p.zone === zone);
    return (
      pods.length === 1 && pods[0]?.image === appImage(version) && pods[0].isReady && !pods[0].isTerminating
    );
  }

  close(): void {
    this.client.close();
  }
}
