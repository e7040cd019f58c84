/**
 * The seed's manifests as the lab's API server will hand them to the node agent once sidecar
 * injection runs there (lab design "Sidecar injection", the injector on the supervisor's branch):
 * every Deployment's pod template gets Istio's `istio-proxy` container (image `spillway/proxyv2`,
 * `proxy sidecar`, readiness `/healthz/ready` on 15021) and the default-container annotation. Until
 * the injector is merged, tests apply the injected form with real kubectl.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

type Json = Record<string, unknown>;

export const seedDir = '/work/shared/seed';

function sidecar(clusterId: string): Json {
  return {
    name: 'istio-proxy',
    image: 'spillway/proxyv2',
    args: ['proxy', 'sidecar'],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: clusterId },
    ],
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 0,
      periodSeconds: 1,
      failureThreshold: 30,
    },
  };
}

/** The objects of a seed file, each Deployment's template with the injected sidecar. */
export function injectedSeed(file: string, clusterId: string): Json[] {
  const docs = parseAllDocuments(readFileSync(`${seedDir}/${file}`, 'utf8')).map((d) => d.toJS() as Json);
  for (const doc of docs) {
    if (doc['kind'] !== 'Deployment') continue;
    const template = (doc['spec'] as Json)['template'] as Json;
    const meta = (template['metadata'] ?? {}) as Json;
    const spec = template['spec'] as { containers: Json[] };
    meta['annotations'] = {
      ...((meta['annotations'] as Json | undefined) ?? {}),
      'kubectl.kubernetes.io/default-container': String(spec.containers[0]?.['name'] ?? ''),
    };
    template['metadata'] = meta;
    spec.containers.push(sidecar(clusterId));
  }
  return docs;
}

/** A v1 List for `kubectl apply -f -`. */
export function asList(items: readonly Json[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
