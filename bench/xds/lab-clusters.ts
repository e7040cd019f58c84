/**
 * The two Kubernetes clusters of the benchmark: lab API servers started in this process
 * (`startApiServer`, the same server `spillway apiserver` runs), each with a kubeconfig for the
 * control plane. The scenario is written through the server's in-process object API (the same
 * validation, resourceVersions and watch events as the HTTP verbs, without HTTP), so loading 10,000
 * endpoints takes seconds; the control plane reads everything over HTTPS with its informers.
 *
 * The data directories live on tmpfs (/dev/shm when it exists): the lab server fsyncs every write,
 * and a disk's fsync latency would otherwise be part of every measured change.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../../src/kube/apiserver/start-api-server.js';
import type { KubeObject } from '../../src/kube/apiserver/kube-object.js';
import { createLogger } from '../../src/core/logger.js';
import {
  CLUSTERS,
  clusterObjects,
  destinationRules,
  markerAddress,
  markerPlacement,
  namespaceOf,
  sliceEndpoint,
  sliceName,
  type ClusterId,
  type ScenarioObject,
  type ScenarioSpec,
} from './scenario.js';

export interface LabCluster {
  readonly clusterId: ClusterId;
  readonly server: RunningApiServer;
  readonly kubeconfig: string;
}

export interface LabClusters {
  readonly clusters: Record<ClusterId, LabCluster>;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** API server addresses: 127.95.1.1 and 127.95.2.1 (the brief's 127.95.x.y range). */
const ADDRESSES: Record<ClusterId, string> = { 'cluster-1': '127.95.1.1', 'cluster-2': '127.95.2.1' };

export async function startLabClusters(kubeconfigDir: string): Promise<LabClusters> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : kubeconfigDir;
  const dataDir = mkdtempSync(join(base, 'spillway-bench-xds-'));
  const started: LabCluster[] = [];
  const removeData = (): void => rmSync(dataDir, { recursive: true, force: true });
  // Ctrl-C exits without unwinding: tmpfs must not keep the data.
  process.once('exit', removeData);
  const close = async (): Promise<void> => {
    await Promise.all(started.map((c) => c.server.close()));
    removeData();
    process.off('exit', removeData);
  };
  try {
    for (const clusterId of CLUSTERS) {
      const dir = join(dataDir, clusterId);
      mkdirSync(dir, { recursive: true });
      const kubeconfig = join(kubeconfigDir, `${clusterId}.kubeconfig`);
      const server = await startApiServer({
        dataDir: dir,
        address: ADDRESSES[clusterId],
        port: 0,
        clusterName: clusterId,
        kubeconfigPath: kubeconfig,
        // No controllers: nothing here has a selector, a Deployment or a Pod for them to act on.
        runControllers: false,
        log: createLogger(`apiserver-${clusterId}`),
      });
      started.push({ clusterId, server, kubeconfig });
    }
  } catch (err) {
    await close();
    throw err;
  }
  const [c1, c2] = started as [LabCluster, LabCluster];
  return { clusters: { 'cluster-1': c1, 'cluster-2': c2 }, dataDir, close };
}

async function createAll(server: RunningApiServer, objects: readonly ScenarioObject[]): Promise<void> {
  for (const { resource, object } of objects) {
    try {
      await server.client.create(resource, object as unknown as KubeObject, {
        fieldManager: 'spillway-bench',
      });
    } catch (err) {
      // The initial namespaces (default, kube-system) exist already; anything else is a bug here.
      if ((err as { code?: number }).code === 409 && resource === 'namespaces') continue;
      throw new Error(
        `cannot create ${resource} ${object.metadata.namespace ?? ''}/${object.metadata.name}: ${
          err instanceof Error ? err.message : String(err)
        }`,
        { cause: err },
      );
    }
  }
}

/** Writes the scenario into both clusters; returns the object count per cluster. */
export async function loadScenario(lab: LabClusters, spec: ScenarioSpec): Promise<Record<ClusterId, number>> {
  const counts: Record<string, number> = {};
  for (const clusterId of CLUSTERS) {
    const objects = clusterObjects(spec, clusterId);
    // Istio config comes from the measured control plane's own cluster (multi-primary).
    if (clusterId === 'cluster-1') objects.push(...destinationRules(spec));
    await createAll(lab.clusters[clusterId].server, objects);
    counts[clusterId] = objects.length;
  }
  return counts as Record<ClusterId, number>;
}

/**
 * The k-th endpoint change: one EndpointSlice update, adding an endpoint with a fresh address
 * (`markerAddress(k)`) to one service's slice in one cluster. Returns once the API server has
 * committed it (the watch events to the control plane go out after that).
 */
export async function writeEndpointChange(
  lab: LabClusters,
  spec: ScenarioSpec,
  change: { readonly index: number; readonly serviceIndex: number; readonly clusterId: ClusterId },
): Promise<void> {
  const server = lab.clusters[change.clusterId].server;
  const name = sliceName(change.serviceIndex, change.clusterId);
  const namespace = namespaceOf(spec, change.serviceIndex);
  const slice = server.client.get('endpointslices', namespace, name);
  if (slice === undefined) throw new Error(`EndpointSlice ${namespace}/${name} is missing`);
  const endpoints = (slice['endpoints'] as unknown[] | undefined) ?? [];
  endpoints.push(
    sliceEndpoint(markerAddress(change.index), markerPlacement(spec, change.clusterId, change.index)),
  );
  slice['endpoints'] = endpoints;
  await server.client.update('endpointslices', slice, { fieldManager: 'spillway-bench' });
}
