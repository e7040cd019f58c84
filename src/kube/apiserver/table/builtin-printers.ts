/**
 * Server-side printers of the built-in kinds, after kube-apiserver's
 * `k8s.io/kubernetes/pkg/printers/internalversion/printers.go` (`printPod`, `printDeployment`,
 * `printReplicaSet`, `printService`, `printEndpointSlice`, `printNode`, `printNamespace`,
 * `printConfigMap`, `printSecret`, `printEvent`). The server always fills the wide columns;
 * kubectl hides priority-1 columns unless `-o wide`.
 */
import {
  arrayAt,
  boolAt,
  isRecord,
  numberAt,
  recordAt,
  stringAt,
  stringMapAt,
} from '../../../core/json-shape.js';
import type { Printer } from './columns.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { podPrinter } from './pod-printer.js';
import type { Obj } from './printer-cells.js';
import { ageOf, nameOf, orNone } from './printer-cells.js';
import { timestampSince } from './human-duration.js';

/** `labels.FormatLabels`: `k=v` pairs sorted by key, `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels[k] ?? ''}`).join(',');
}

/** `metav1.LabelSelectorAsSelector(...).String()`: requirements sorted by key. */
export function formatSelector(selector: unknown): string {
  const requirements: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(stringMapAt(selector, 'matchLabels')))
    requirements.push([k, `${k}=${v}`]);
  for (const e of arrayAt(selector, 'matchExpressions') ?? []) {
    const key = stringAt(e, 'key') ?? '';
    const values = (arrayAt(e, 'values') ?? []).map(String).sort().join(',');
    const op = stringAt(e, 'operator');
    const text =
      op === 'In'
        ? `${key} in (${values})`
        : op === 'NotIn'
          ? `${key} notin (${values})`
          : op === 'Exists'
            ? key
            : `!${key}`;
    requirements.push([key, text]);
  }
  return requirements
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((r) => r[1])
    .join(',');
}

function templateContainers(o: Obj): [string, string] {
  const containers = arrayAt(recordAt(recordAt(o['spec'], 'template'), 'spec'), 'containers') ?? [];
  return [
    containers.map((c) => stringAt(c, 'name') ?? '').join(','),
    containers.map((c) => stringAt(c, 'image') ?? '').join(','),
  ];
}

const deployments: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Ready replicas out of the desired replicas.'),
    column('Up-to-date', 'string', 'Replicas running the current template (status.updatedReplicas).'),
    column('Available', 'string', 'Replicas available to users (status.availableReplicas).'),
    ageColumn,
    column('Containers', 'string', 'Names of the containers of the pod template.', 1),
    column('Images', 'string', 'Images of the containers of the pod template.', 1),
    column('Selector', 'string', 'Label selector of the pods (spec.selector).', 1),
  ],
  cells(o, nowMs) {
    const status = o['status'];
    const [names, images] = templateContainers(o);
    return [
      nameOf(o),
      `${numberAt(status, 'readyReplicas') ?? 0}/${numberAt(o['spec'], 'replicas') ?? 1}`,
      numberAt(status, 'updatedReplicas') ?? 0,
      numberAt(status, 'availableReplicas') ?? 0,
      ageOf(o, nowMs),
      names,
      images,
      formatSelector(recordAt(o['spec'], 'selector')),
    ];
  },
};

const replicaSets: Printer = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Desired replicas (spec.replicas).'),
    column('Current', 'integer', 'Current replicas (status.replicas).'),
    column('Ready', 'integer', 'Ready replicas (status.readyReplicas).'),
    ageColumn,
    column('Containers', 'string', 'Names of the containers of the pod template.', 1),
    column('Images', 'string', 'Images of the containers of the pod template.', 1),
    column('Selector', 'string', 'Label selector of the pods (spec.selector).', 1),
  ],
  cells(o, nowMs) {
    const [names, images] = templateContainers(o);
    return [
      nameOf(o),
      numberAt(o['spec'], 'replicas') ?? 1,
      numberAt(o['status'], 'replicas') ?? 0,
      numberAt(o['status'], 'readyReplicas') ?? 0,
      ageOf(o, nowMs),
      names,
      images,
      formatSelector(recordAt(o['spec'], 'selector')),
    ];
  },
};

/** `getServiceExternalIP`. */
function serviceExternalIP(spec: unknown, status: unknown): string {
  const type = stringAt(spec, 'type') ?? 'ClusterIP';
  const externalIPs = (arrayAt(spec, 'externalIPs') ?? []).map(String);
  if (type === 'ExternalName') return stringAt(spec, 'externalName') ?? '<none>';
  if (type === 'LoadBalancer') {
    const ingress = (arrayAt(recordAt(status, 'loadBalancer'), 'ingress') ?? []).map(
      (i) => stringAt(i, 'ip') ?? stringAt(i, 'hostname') ?? '',
    );
    const all = [...ingress.filter((s) => s !== ''), ...externalIPs];
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
}

const services: Printer = {
  columns: [
    nameColumn,
    column('Type', 'string', 'How the service is exposed (spec.type).'),
    column('Cluster-IP', 'string', 'Cluster-internal IP of the service (spec.clusterIP).'),
    column('External-IP', 'string', 'External addresses of the service.'),
    column('Port(s)', 'string', 'Ports the service exposes.'),
    ageColumn,
    column('Selector', 'string', 'Labels of the pods the service routes to (spec.selector).', 1),
  ],
  cells(o, nowMs) {
    const spec = o['spec'];
    const ports = (arrayAt(spec, 'ports') ?? []).map((p) => {
      const protocol = stringAt(p, 'protocol') ?? 'TCP';
      const nodePort = numberAt(p, 'nodePort') ?? 0;
      const port = numberAt(p, 'port') ?? 0;
      return nodePort > 0 ? `${port}:${nodePort}/${protocol}` : `${port}/${protocol}`;
    });
    return [
      nameOf(o),
      stringAt(spec, 'type') ?? 'ClusterIP',
      orNone(stringAt(spec, 'clusterIP')),
      serviceExternalIP(spec, o['status']),
      ports.length === 0 ? '<none>' : ports.join(','),
      ageOf(o, nowMs),
      formatLabels(stringMapAt(spec, 'selector')),
    ];
  },
};

/** `listWithMoreString`: the first three, then "+ N more...". */
function listWithMore(items: readonly string[]): string {
  const shown = items.slice(0, 3).join(',');
  if (items.length > 3) return `${shown} + ${items.length - 3} more...`;
  return shown === '' ? '<unset>' : shown;
}

const endpointSlices: Printer = {
  columns: [
    nameColumn,
    column('AddressType', 'string', 'Type of the addresses (IPv4, IPv6, FQDN).'),
    column('Ports', 'string', 'Ports of the endpoints.'),
    column('Endpoints', 'string', 'Addresses of the endpoints.'),
    ageColumn,
  ],
  cells(o, nowMs) {
    const ports = (arrayAt(o, 'ports') ?? []).map((p) => {
      const port = numberAt(p, 'port');
      return port !== undefined ? String(port) : (stringAt(p, 'name') ?? '*');
    });
    const addresses = (arrayAt(o, 'endpoints') ?? []).flatMap((e) =>
      (arrayAt(e, 'addresses') ?? []).map(String),
    );
    return [
      nameOf(o),
      stringAt(o, 'addressType') ?? '',
      listWithMore(ports),
      listWithMore(addresses),
      ageOf(o, nowMs),
    ];
  },
};

function nodeAddress(status: unknown, type: string): string {
  const found = (arrayAt(status, 'addresses') ?? []).find((a) => stringAt(a, 'type') === type);
  return orNone(stringAt(found, 'address'));
}

const nodes: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'Readiness of the node.'),
    column('Roles', 'string', 'Roles of the node (node-role.kubernetes.io labels).'),
    ageColumn,
    column('Version', 'string', 'Kubelet version (status.nodeInfo.kubeletVersion).'),
    column('Internal-IP', 'string', 'Internal address of the node.', 1),
    column('External-IP', 'string', 'External address of the node.', 1),
    column('OS-Image', 'string', 'Operating system image of the node.', 1),
    column('Kernel-Version', 'string', 'Kernel version of the node.', 1),
    column('Container-Runtime', 'string', 'Container runtime of the node.', 1),
  ],
  cells(o, nowMs) {
    const status = o['status'];
    const ready = (arrayAt(status, 'conditions') ?? []).find((c) => stringAt(c, 'type') === 'Ready');
    const states = [
      ready === undefined ? 'Unknown' : stringAt(ready, 'status') === 'True' ? 'Ready' : 'NotReady',
    ];
    if (boolAt(o['spec'], 'unschedulable') === true) states.push('SchedulingDisabled');
    const labels = stringMapAt(o['metadata'], 'labels');
    const roles = new Set<string>();
    for (const [k, v] of Object.entries(labels)) {
      if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length)
        roles.add(k.slice('node-role.kubernetes.io/'.length));
      else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
    }
    const info = recordAt(status, 'nodeInfo');
    const unknown = (s: string | undefined) => (s === undefined || s === '' ? '<unknown>' : s);
    return [
      nameOf(o),
      states.join(','),
      roles.size === 0 ? '<none>' : [...roles].sort().join(','),
      ageOf(o, nowMs),
      stringAt(info, 'kubeletVersion') ?? '',
      nodeAddress(status, 'InternalIP'),
      nodeAddress(status, 'ExternalIP'),
      unknown(stringAt(info, 'osImage')),
      unknown(stringAt(info, 'kernelVersion')),
      unknown(stringAt(info, 'containerRuntimeVersion')),
    ];
  },
};

const namespaces: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'Lifecycle phase of the namespace (status.phase).'),
    ageColumn,
  ],
  cells: (o, nowMs) => [nameOf(o), stringAt(o['status'], 'phase') ?? 'Active', ageOf(o, nowMs)],
};

const size = (v: unknown): number => (isRecord(v) ? Object.keys(v).length : 0);

const configMaps: Printer = {
  columns: [nameColumn, column('Data', 'string', 'Number of data and binaryData entries.'), ageColumn],
  cells: (o, nowMs) => [nameOf(o), size(o['data']) + size(o['binaryData']), ageOf(o, nowMs)],
};

const secrets: Printer = {
  columns: [
    nameColumn,
    column('Type', 'string', 'Type of the secret.'),
    column('Data', 'string', 'Number of data entries.'),
    ageColumn,
  ],
  cells: (o, nowMs) => [nameOf(o), stringAt(o, 'type') ?? 'Opaque', size(o['data']), ageOf(o, nowMs)],
};

const events: Printer = {
  columns: [
    column('Last Seen', 'string', 'Time since the event last occurred.'),
    column('Type', 'string', 'Type of the event (Normal, Warning).'),
    column('Reason', 'string', 'Short reason of the event.'),
    column('Object', 'string', 'Object the event is about.'),
    column('Subobject', 'string', 'Part of the object the event is about.', 1),
    column('Source', 'string', 'Component that reported the event.', 1),
    column('Message', 'string', 'Description of the event.'),
    column('First Seen', 'string', 'Time since the event first occurred.', 1),
    column('Count', 'string', 'Times the event occurred.', 1),
    { ...nameColumn, priority: 1 },
  ],
  cells(o, nowMs) {
    const eventTime = stringAt(o, 'eventTime');
    const last = stringAt(o, 'lastTimestamp') ?? eventTime;
    const first = stringAt(o, 'firstTimestamp') ?? eventTime;
    const involved = o['involvedObject'];
    const source = recordAt(o, 'source');
    const component = stringAt(source, 'component') ?? stringAt(o, 'reportingComponent') ?? '';
    const host = stringAt(source, 'host') ?? '';
    return [
      timestampSince(last, nowMs),
      stringAt(o, 'type') ?? '',
      stringAt(o, 'reason') ?? '',
      `${(stringAt(involved, 'kind') ?? '').toLowerCase()}/${stringAt(involved, 'name') ?? ''}`,
      stringAt(involved, 'fieldPath') ?? '',
      host === '' ? component : `${component}, ${host}`,
      (stringAt(o, 'message') ?? '').trim(),
      timestampSince(first, nowMs),
      numberAt(o, 'count') ?? 1,
      nameOf(o),
    ];
  },
};

export const builtinPrinters: Readonly<Record<string, Printer>> = {
  Pod: podPrinter,
  Deployment: deployments,
  ReplicaSet: replicaSets,
  Service: services,
  EndpointSlice: endpointSlices,
  Node: nodes,
  Namespace: namespaces,
  ConfigMap: configMaps,
  Secret: secrets,
  Event: events,
};
