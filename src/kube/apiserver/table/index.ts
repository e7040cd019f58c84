/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`) for kubectl get
 * (contract; implemented in this folder): built-in kinds use kube-apiserver's printers
 * (builtin-printers.ts), Istio kinds their CRDs' printer columns (istio-printers.ts).
 */
import type { KubeObject, ResourceType } from '../kube-object.js';
import { builtinPrinters } from './builtin-printers.js';
import type { Printer } from './columns.js';
import { ageColumn, nameColumn } from './columns.js';
import { timestampSince } from './human-duration.js';
import { istioPrinter } from './istio-printers.js';

export interface TableOptions {
  /** `includeObject` query parameter: None, Metadata (default for kubectl) or Object. */
  readonly includeObject: 'None' | 'Metadata' | 'Object';
  /** Wall-clock ms, for AGE columns. */
  readonly nowMs: number;
  /** resourceVersion and continue token of the list. */
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

/** Kinds without a printer get what kube-apiserver's default table convertor shows: Name and Age. */
const defaultPrinter: Printer = {
  columns: [nameColumn, { ...ageColumn, name: 'Created At', type: 'date' }],
  cells: (o, nowMs) => {
    const metadata = o['metadata'] as KubeObject['metadata'] | undefined;
    return [metadata?.name ?? '', timestampSince(metadata?.creationTimestamp, nowMs)];
  },
};

function printerFor(resource: ResourceType): Printer {
  return builtinPrinters[resource.kind] ?? istioPrinter(resource.kind) ?? defaultPrinter;
}

/** A `meta.k8s.io/v1` Table of these objects, with the columns kubectl shows for the kind. */
export function buildTable(
  resource: ResourceType,
  objects: readonly KubeObject[],
  options: TableOptions,
): Record<string, unknown> {
  const printer = printerFor(resource);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      resourceVersion: options.resourceVersion,
      ...(options.continueToken !== undefined && options.continueToken !== ''
        ? { continue: options.continueToken }
        : {}),
    },
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows: objects.map((o) => ({
      cells: printer.cells(o, options.nowMs),
      ...rowObject(o, options.includeObject),
    })),
  };
}

/** `includeObject`: the full object, its metadata as PartialObjectMetadata, or nothing. */
function rowObject(object: KubeObject, include: TableOptions['includeObject']): Record<string, unknown> {
  if (include === 'None') return {};
  if (include === 'Object') return { object };
  return {
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
  };
}
