/**
 * The EndpointSlice controller (`pkg/controller/endpointslice`, `staging/.../endpointslice/reconciler.go`):
 * for every Service with a selector, IPv4 EndpointSlices `<service>-<5 chars>` labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`, owned by the Service.
 * Endpoints come from matching Pods with an IP (terminating ones included), with conditions as
 * Kubernetes computes them (`endpointslice/utils.go` podToEndpoint): serving = pod Ready,
 * ready = serving and not terminating (always true with publishNotReadyAddresses), terminating =
 * deletionTimestamp set; plus nodeName, the Node's zone, a targetRef, and the pod's hostname when its
 * subdomain names the Service. Pods whose named targetPorts resolve differently land in different slices (one slice
 * per distinct port set). The 100-endpoints-per-slice limit is not applied: lab services are small.
 * A Service with no endpoints keeps one empty placeholder slice, as Kubernetes does.
 */
import type { KubeObject } from '../kube-object.js';
import type { ControllerContext } from './controller-context.js';
import { isAlreadyExists, isNotFound, randomSuffix } from './controller-context.js';
import {
  asArray,
  asNumber,
  asRecord,
  asString,
  canonicalJson,
  semanticEqual,
  stringMap,
} from './json-fields.js';
import { selectorFromMap, selectorMatches } from '../label-selector.js';
import { ObjectWatch } from './object-watch.js';
import { controllerOf, controllerRefTo, isControlledBy, objectKey, splitKey } from './owner-references.js';
import { isPodReady, isTerminating, podIPv4, podNodeName, podPhase } from './pod-state.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { ZONE_LABEL } from './scheduler-filters.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

/** `podutil.FindPort`: a named targetPort is looked up among the pod's container ports. */
export function resolvePort(pod: KubeObject, servicePort: Record<string, unknown>): number | undefined {
  const target = servicePort['targetPort'];
  const protocol = asString(servicePort['protocol'], 'TCP');
  if (typeof target === 'string' && !/^\d+$/.test(target)) {
    for (const c of asArray(asRecord(pod['spec'])['containers'])) {
      for (const p of asArray(asRecord(c)['ports']).map(asRecord)) {
        if (p['name'] === target && asString(p['protocol'], 'TCP') === protocol)
          return asNumber(p['containerPort'], 0);
      }
    }
    return undefined;
  }
  if (typeof target === 'string') return Number(target);
  return asNumber(target, asNumber(servicePort['port'], 0));
}

function endpointPorts(service: KubeObject, pod: KubeObject): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const sp of asArray(asRecord(service['spec'])['ports']).map(asRecord)) {
    const port = resolvePort(pod, sp);
    if (port === undefined) continue;
    out.push({
      name: asString(sp['name']),
      port,
      protocol: asString(sp['protocol'], 'TCP'),
      ...(typeof sp['appProtocol'] === 'string' ? { appProtocol: sp['appProtocol'] } : {}),
    });
  }
  return out;
}

interface SliceGroup {
  ports: Array<Record<string, unknown>>;
  endpoints: Array<Record<string, unknown>>;
}

export class EndpointSliceController {
  readonly loop: ReconcileLoop;
  private readonly watches: ObjectWatch[];

  constructor(private readonly ctx: ControllerContext) {
    this.loop = new ReconcileLoop('endpointslice', ctx.clock, (key) => this.sync(key));
    this.watches = [
      new ObjectWatch(ctx.client, ctx.clock, 'services', (e) => this.loop.enqueue(objectKey(e.object))),
      new ObjectWatch(ctx.client, ctx.clock, 'pods', (e, old) => {
        for (const pod of [e.object, old]) if (pod !== undefined) this.enqueueServicesOf(pod);
      }),
      new ObjectWatch(ctx.client, ctx.clock, 'nodes', () => {
        for (const svc of ctx.client.list('services', undefined).items) this.loop.enqueue(objectKey(svc));
      }),
      new ObjectWatch(ctx.client, ctx.clock, 'endpointslices', (e) => {
        const ref = controllerOf(e.object);
        if (ref?.kind === 'Service' && e.object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) {
          this.loop.enqueue(`${e.object.metadata.namespace ?? ''}/${ref.name}`);
        }
      }),
    ];
  }

  private enqueueServicesOf(pod: KubeObject): void {
    const labels = stringMap(pod.metadata.labels);
    for (const svc of this.ctx.client.list('services', pod.metadata.namespace).items) {
      const selector = stringMap(asRecord(svc['spec'])['selector']);
      if (Object.keys(selector).length > 0 && selectorMatches(selectorFromMap(selector), labels)) {
        this.loop.enqueue(objectKey(svc));
      }
    }
  }

  private desiredGroups(service: KubeObject): SliceGroup[] {
    const client = this.ctx.client;
    const spec = asRecord(service['spec']);
    const selector = selectorFromMap(stringMap(spec['selector']));
    const publishNotReady = spec['publishNotReadyAddresses'] === true;
    const zones = new Map<string, string | undefined>();
    for (const node of client.list('nodes', undefined).items) {
      zones.set(node.metadata.name ?? '', node.metadata.labels?.[ZONE_LABEL]);
    }
    const groups = new Map<string, SliceGroup>();
    const pods = client
      .list('pods', service.metadata.namespace)
      .items.filter((p) => selectorMatches(selector, stringMap(p.metadata.labels)))
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    for (const pod of pods) {
      const ip = podIPv4(pod);
      const phase = podPhase(pod);
      if (ip === undefined || phase === 'Succeeded' || phase === 'Failed') continue;
      const terminating = isTerminating(pod);
      const serving = isPodReady(pod);
      const podSpec = asRecord(pod['spec']);
      const hostname = asString(podSpec['hostname']);
      const nodeName = podNodeName(pod);
      const zone = zones.get(nodeName);
      const endpoint: Record<string, unknown> = {
        addresses: [ip],
        conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
        ...(hostname !== '' && podSpec['subdomain'] === service.metadata.name ? { hostname } : {}),
        ...(nodeName !== '' ? { nodeName } : {}),
        ...(zone !== undefined ? { zone } : {}),
        targetRef: {
          kind: 'Pod',
          namespace: pod.metadata.namespace,
          name: pod.metadata.name,
          uid: pod.metadata.uid,
        },
      };
      const ports = endpointPorts(service, pod);
      const key = canonicalJson(ports);
      const group = groups.get(key) ?? { ports, endpoints: [] };
      group.endpoints.push(endpoint);
      groups.set(key, group);
    }
    return [...groups.values()];
  }

  private async sync(key: string): Promise<undefined> {
    const { namespace, name } = splitKey(key);
    const client = this.ctx.client;
    const service = client.get('services', namespace, name);
    if (service === undefined || service.metadata.deletionTimestamp !== undefined) return undefined;
    const spec = asRecord(service['spec']);
    if (Object.keys(stringMap(spec['selector'])).length === 0) return undefined;
    let desired = this.desiredGroups(service);
    if (desired.length === 0) desired = [{ ports: [], endpoints: [] }];
    const existing = client
      .list('endpointslices', namespace)
      .items.filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY &&
          isControlledBy(s, service),
      );
    const labels: Record<string, string> = {
      ...stringMap(service.metadata.labels),
      [SERVICE_NAME_LABEL]: name,
      [MANAGED_BY_LABEL]: MANAGED_BY,
      ...(spec['clusterIP'] === 'None' ? { 'service.kubernetes.io/headless': '' } : {}),
    };
    // Slices are matched to port sets first; leftover slices are reused before new ones are created.
    const unmatched = [...existing];
    const pending: SliceGroup[] = [];
    const writes: Array<[KubeObject, SliceGroup]> = [];
    for (const group of desired) {
      const portsKey = canonicalJson(group.ports);
      const index = unmatched.findIndex((s) => canonicalJson(asArray(s['ports'])) === portsKey);
      if (index < 0) pending.push(group);
      else writes.push([unmatched.splice(index, 1)[0]!, group]);
    }
    for (const group of pending) {
      const reuse = unmatched.shift();
      if (reuse !== undefined) writes.push([reuse, group]);
      else await this.createSlice(service, labels, group);
    }
    for (const [slice, group] of writes) {
      const next = {
        ...slice,
        metadata: { ...slice.metadata, labels },
        ports: group.ports,
        endpoints: group.endpoints,
      };
      if (!semanticEqual(next, slice)) await client.update('endpointslices', next);
    }
    for (const stale of unmatched) {
      try {
        await client.delete('endpointslices', namespace, stale.metadata.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return undefined;
  }

  private async createSlice(
    service: KubeObject,
    labels: Record<string, string>,
    group: SliceGroup,
  ): Promise<void> {
    const svcName = service.metadata.name ?? '';
    for (;;) {
      try {
        await this.ctx.client.create('endpointslices', {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: `${svcName}-${randomSuffix(this.ctx.random, 5)}`,
            generateName: `${svcName}-`,
            namespace: service.metadata.namespace ?? 'default',
            labels,
            ownerReferences: [controllerRefTo(service)],
          },
          addressType: 'IPv4',
          endpoints: group.endpoints,
          ports: group.ports,
        });
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.stop();
    await this.loop.stop();
  }
}
