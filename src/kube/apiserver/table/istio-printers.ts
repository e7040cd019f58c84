/**
 * Printers of the Istio kinds: their CRDs' `additionalPrinterColumns` (istio `crd-all.gen.yaml`),
 * rendered as kube-apiserver's CRD table convertor does
 * (`apiextensions-apiserver/pkg/registry/customresource/tableconvertor`): a Name column first,
 * `string` columns print the JSONPath result (lists as JSON, e.g. `["mocka"]`), `date` columns
 * print the age, a missing value is a null cell. CRDs without printer columns get Name and Age.
 */
import { isRecord } from '../../../core/json-shape.js';
import type { ColumnDefinition, Printer } from './columns.js';
import { column, nameColumn } from './columns.js';
import { timestampSince } from './human-duration.js';

interface PrinterColumn {
  readonly definition: ColumnDefinition;
  /** Field path below the object (`.spec.host` without the leading dot, split). */
  readonly path: readonly string[];
}

const age: PrinterColumn = {
  definition: column('Age', 'date', 'Time since the object was created (metadata.creationTimestamp).'),
  path: ['metadata', 'creationTimestamp'],
};

function stringColumn(name: string, jsonPath: string, description: string): PrinterColumn {
  return { definition: column(name, 'string', description), path: jsonPath.split('.').slice(1) };
}

const printerColumns: Readonly<Record<string, readonly PrinterColumn[]>> = {
  DestinationRule: [
    stringColumn('Host', '.spec.host', 'The name of a service from the service registry'),
    age,
  ],
  VirtualService: [
    stringColumn(
      'Gateways',
      '.spec.gateways',
      'The names of gateways and sidecars that should apply these routes',
    ),
    stringColumn('Hosts', '.spec.hosts', 'The destination hosts to which traffic is being sent'),
    age,
  ],
  Gateway: [age],
  ServiceEntry: [
    stringColumn('Hosts', '.spec.hosts', 'The hosts associated with the ServiceEntry'),
    stringColumn(
      'Location',
      '.spec.location',
      'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)',
    ),
    stringColumn(
      'Resolution',
      '.spec.resolution',
      'Service resolution mode for the hosts (NONE, STATIC, or DNS)',
    ),
    age,
  ],
  WorkloadEntry: [
    age,
    stringColumn('Address', '.spec.address', 'Address associated with the network endpoint.'),
  ],
  Sidecar: [age],
  PeerAuthentication: [
    stringColumn('Mode', '.spec.mtls.mode', 'Defines the mTLS mode used for peer authentication.'),
    age,
  ],
  AuthorizationPolicy: [stringColumn('Action', '.spec.action', 'The operation to take.'), age],
};

function valueAt(object: unknown, path: readonly string[]): unknown {
  let v = object;
  for (const key of path) {
    if (!isRecord(v)) return undefined;
    v = v[key];
  }
  return v;
}

/** JSONPath printing of one result: strings as they are, anything else as JSON. */
function printResult(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function istioPrinter(kind: string): Printer | undefined {
  const columns = printerColumns[kind];
  if (columns === undefined) return undefined;
  return {
    columns: [nameColumn, ...columns.map((c) => c.definition)],
    cells(o, nowMs) {
      const cells: unknown[] = [valueAt(o, ['metadata', 'name']) ?? ''];
      for (const c of columns) {
        const value = valueAt(o, c.path);
        if (value === undefined || value === null) cells.push(null);
        else if (c.definition.type === 'date') cells.push(timestampSince(value, nowMs));
        else cells.push(printResult(value));
      }
      return cells;
    },
  };
}
