/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`) for kubectl get
 * (contract; implemented in this folder).
 */
import type { KubeObject, ResourceType } from '../kube-object.js';

export interface TableOptions {
  /** `includeObject` query parameter: None, Metadata (default for kubectl) or Object. */
  readonly includeObject: 'None' | 'Metadata' | 'Object';
  /** Wall-clock ms, for AGE columns. */
  readonly nowMs: number;
  /** resourceVersion and continue token of the list. */
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

/** A `meta.k8s.io/v1` Table of these objects, with the columns kubectl shows for the kind. */
export function buildTable(
  resource: ResourceType,
  objects: readonly KubeObject[],
  options: TableOptions,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: options.resourceVersion },
    columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 }],
    rows: objects.map((o) => ({
      cells: [o.metadata.name ?? ''],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
    ...(resource.namespaced ? {} : {}),
  };
}
