/**
 * Field selectors (`spec.nodeName=node-1,status.phase!=Running`). Kubernetes supports only a few
 * fields per kind (`pkg/registry/core/pod/strategy.go` ToSelectableFields, `AddFieldLabelConversionFunc`
 * in `pkg/apis/core/v1/conversion.go`); any other field is a 400 "field label not supported".
 */
import type { KubeObject, ResourceType } from '../kube-object.js';
import { KubeApiError } from '../kube-object.js';

export interface FieldSelector {
  matches(object: KubeObject): boolean;
}

const common = ['metadata.name', 'metadata.namespace'];
const extraFields: Record<string, readonly string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  nodes: ['spec.unschedulable'],
  namespaces: ['status.phase'],
  secrets: ['type'],
  replicasets: ['status.replicas'],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** The value of a dotted field as a selector sees it (absent = ''; booleans as "true"/"false"). */
function fieldValue(object: KubeObject, path: string): string {
  if (path === 'source') path = 'source.component';
  let cursor: unknown = object;
  for (const part of path.split('.')) {
    if (typeof cursor !== 'object' || cursor === null) return '';
    cursor = (cursor as Record<string, unknown>)[part];
  }
  if (cursor === undefined || cursor === null) {
    // An unset hostNetwork selects as false, as in the pod field set.
    return path === 'spec.hostNetwork' ? 'false' : '';
  }
  return typeof cursor === 'object' ? JSON.stringify(cursor) : String(cursor as string | number | boolean);
}

interface FieldRequirement {
  readonly field: string;
  readonly value: string;
  readonly isNegated: boolean;
}

const everything: FieldSelector = { matches: () => true };

/** Parses a field selector for `resource`. Throws 400 BadRequest for bad syntax or an unsupported field. */
export function parseFieldSelector(selector: string | undefined, resource: ResourceType): FieldSelector {
  if (selector === undefined || selector.trim() === '') return everything;
  const allowed = new Set([...common, ...(extraFields[resource.plural] ?? [])]);
  const requirements: FieldRequirement[] = selector.split(',').map((raw) => {
    const part = raw.trim();
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (m === null) {
      throw new KubeApiError(
        400,
        'BadRequest',
        `invalid selector: '${selector}'; can't understand '${part}'`,
      );
    }
    const field = m[1] ?? '';
    if (!allowed.has(field)) {
      throw new KubeApiError(400, 'BadRequest', `field label not supported: ${field}`);
    }
    return { field, value: m[3] ?? '', isNegated: m[2] === '!=' };
  });
  return {
    matches: (object) => requirements.every((r) => (fieldValue(object, r.field) === r.value) !== r.isNegated),
  };
}
