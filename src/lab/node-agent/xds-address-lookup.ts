/**
 * Where the proxies of this cluster get their configuration when the agent was not told
 * (`--xds-address`): the lab supervisor records its region's control plane on Service
 * `istio-system/istiod` as annotation `lab.spillway.io/xds-address: <host>:<port>` (lab design
 * "Kubernetes objects"). Without it a proxy container cannot be created (CreateContainerConfigError,
 * retried).
 */
import { isRecord } from '../../core/json-shape.js';
import { ContainerConfigError } from './container-slot.js';
import type { KubeRest } from './kube-rest.js';

export const xdsAddressAnnotation = 'lab.spillway.io/xds-address';

export async function lookUpXdsAddress(rest: KubeRest): Promise<{ host: string; port: number }> {
  const r = await rest.get('/api/v1/namespaces/istio-system/services/istiod').catch(() => undefined);
  const body = r?.body;
  const annotations =
    isRecord(body) && isRecord(body['metadata']) ? body['metadata']['annotations'] : undefined;
  const text = isRecord(annotations) ? annotations[xdsAddressAnnotation] : undefined;
  const m = typeof text === 'string' ? /^(.+):(\d+)$/.exec(text) : null;
  if (m === null)
    throw new ContainerConfigError(
      `no control plane address for the proxy: start the node agent with --xds-address, or annotate Service istio-system/istiod with ${xdsAddressAnnotation}`,
    );
  return { host: m[1] ?? '', port: Number(m[2]) };
}
