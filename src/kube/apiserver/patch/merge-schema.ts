/**
 * Merge semantics of the built-in kinds we serve: which lists merge by key, which merge as sets,
 * which fields are atomic. One table serves strategic merge patch (the `patchStrategy` /
 * `patchMergeKey` struct tags of k8s.io/api) and server-side apply (the `+listType`, `+listMapKey`,
 * `+structType`/`+mapType` markers of the same types). Anything not listed merges as a map if it
 * is an object and is replaced whole if it is a list - the defaults of both mechanisms.
 */
import type { ResourceType } from '../kube-object.js';

/** How a list merges. */
export type ListSchema =
  /** Items are objects identified by keys (strategic: `patchMergeKey`; apply: `listMapKey`s). */
  | {
      readonly type: 'map';
      /** Strategic merge key (k8s.io/api `patchMergeKey`). */
      readonly mergeKey: string;
      /** Server-side apply keys (`+listMapKey`, often the merge key plus `protocol`). */
      readonly keys: readonly string[];
      /** Defaults the API server fills in for keys (ports' `protocol: TCP`). */
      readonly keyDefaults?: Readonly<Record<string, unknown>>;
      readonly item: FieldSchema;
    }
  /** Scalars merged as a set (strategic `patchStrategy:"merge"` on []string; apply `listType=set`). */
  | { readonly type: 'set' }
  /** Replaced whole (no patch strategy; `listType=atomic`). */
  | { readonly type: 'atomic' };

export interface FieldSchema {
  /** Known fields of a struct (or the value schema of every key of a map, see `values`). */
  readonly fields?: Readonly<Record<string, FieldSchema>>;
  /** Schema of every value of a map with arbitrary keys. */
  readonly values?: FieldSchema;
  readonly list?: ListSchema;
  /** `patchStrategy:"retainKeys"`: a strategic patch's `$retainKeys` clears the other keys. */
  readonly retainKeys?: boolean;
  /**
   * Apply treats it as one value (`+structType=atomic`, `+mapType=atomic`, `+listType=atomic`);
   * strategic merge does not.
   */
  readonly applyAtomic?: boolean;
}

const byType: ListSchema = { type: 'map', mergeKey: 'type', keys: ['type'], item: {} };

const objectMeta: FieldSchema = {
  fields: {
    ownerReferences: { list: { type: 'map', mergeKey: 'uid', keys: ['uid'], item: {} } },
    finalizers: { list: { type: 'set' } },
  },
};

const container: FieldSchema = {
  fields: {
    ports: {
      list: {
        type: 'map',
        mergeKey: 'containerPort',
        keys: ['containerPort', 'protocol'],
        keyDefaults: { protocol: 'TCP' },
        item: {},
      },
    },
    env: { list: { type: 'map', mergeKey: 'name', keys: ['name'], item: {} } },
    volumeMounts: { list: { type: 'map', mergeKey: 'mountPath', keys: ['mountPath'], item: {} } },
    volumeDevices: { list: { type: 'map', mergeKey: 'devicePath', keys: ['devicePath'], item: {} } },
  },
};

const containers: FieldSchema = {
  list: { type: 'map', mergeKey: 'name', keys: ['name'], item: container },
};

const labelSelector: FieldSchema = { applyAtomic: true };

const podSpec: FieldSchema = {
  fields: {
    containers,
    initContainers: containers,
    ephemeralContainers: containers,
    volumes: {
      list: { type: 'map', mergeKey: 'name', keys: ['name'], item: { retainKeys: true } },
    },
    imagePullSecrets: { list: { type: 'map', mergeKey: 'name', keys: ['name'], item: {} } },
    hostAliases: { list: { type: 'map', mergeKey: 'ip', keys: ['ip'], item: {} } },
    topologySpreadConstraints: {
      list: {
        type: 'map',
        mergeKey: 'topologyKey',
        keys: ['topologyKey', 'whenUnsatisfiable'],
        item: { fields: { labelSelector } },
      },
    },
    resourceClaims: { list: { type: 'map', mergeKey: 'name', keys: ['name'], item: {} } },
    schedulingGates: { list: { type: 'map', mergeKey: 'name', keys: ['name'], item: {} } },
  },
};

const podStatus: FieldSchema = {
  fields: {
    conditions: { list: byType },
    podIPs: { list: { type: 'map', mergeKey: 'ip', keys: ['ip'], item: {} } },
    hostIPs: { list: { type: 'map', mergeKey: 'ip', keys: ['ip'], item: {} } },
  },
};

const podTemplate: FieldSchema = { fields: { metadata: objectMeta, spec: podSpec } };

const workloadStatus: FieldSchema = { fields: { conditions: { list: byType } } };

function kind(fields: Record<string, FieldSchema>): FieldSchema {
  return { fields: { metadata: objectMeta, ...fields } };
}

const schemas: Readonly<Record<string, FieldSchema>> = {
  'core/Pod': kind({ spec: podSpec, status: podStatus }),
  'core/Service': kind({
    spec: {
      fields: {
        ports: {
          list: {
            type: 'map',
            mergeKey: 'port',
            keys: ['port', 'protocol'],
            keyDefaults: { protocol: 'TCP' },
            item: {},
          },
        },
        // k8s.io/api core/v1 ServiceSpec.Selector is `+mapType=atomic`.
        selector: { applyAtomic: true },
      },
    },
    status: { fields: { conditions: { list: byType } } },
  }),
  'core/Node': kind({
    spec: { fields: { podCIDRs: { list: { type: 'set' } } } },
    // NodeStatus.Addresses: strategic merge by type, but `+listType=atomic` for apply.
    status: {
      fields: {
        conditions: { list: byType },
        addresses: {
          list: { type: 'map', mergeKey: 'type', keys: ['type'], item: {} },
          applyAtomic: true,
        },
      },
    },
  }),
  'core/Namespace': kind({ status: { fields: { conditions: { list: byType } } } }),
  'core/ConfigMap': kind({}),
  'core/Secret': kind({}),
  'core/Event': kind({}),
  'discovery.k8s.io/EndpointSlice': kind({}),
  'apps/Deployment': kind({
    spec: {
      fields: {
        selector: labelSelector,
        template: podTemplate,
        strategy: { retainKeys: true },
      },
    },
    status: workloadStatus,
  }),
  'apps/ReplicaSet': kind({
    spec: { fields: { selector: labelSelector, template: podTemplate } },
    status: workloadStatus,
  }),
  // Istio's CRDs (manifests/charts/base/files/crd-all.gen.yaml) declare one associative list among
  // the kinds we serve: ServiceEntry spec.ports, `x-kubernetes-list-type: map` keyed by `number`.
  // Every other Istio list is atomic under apply. (Strategic merge never applies to CRDs.)
  'networking.istio.io/ServiceEntry': kind({
    spec: { fields: { ports: { list: { type: 'map', mergeKey: 'number', keys: ['number'], item: {} } } } },
  }),
};

/** Objects of unknown kinds (custom resources): metadata lists as usual, every other list atomic. */
const genericSchema: FieldSchema = kind({});

/** The merge schema of a resource's objects. */
export function schemaFor(resource: Pick<ResourceType, 'group' | 'kind'>): FieldSchema {
  return schemas[`${resource.group === '' ? 'core' : resource.group}/${resource.kind}`] ?? genericSchema;
}

/** The schema of a field of a struct or map. */
export function fieldSchema(schema: FieldSchema | undefined, name: string): FieldSchema | undefined {
  return schema?.fields?.[name] ?? schema?.values;
}
