/**
 * Object validation of the lab API server: what kube-apiserver's decoder, its registry strategies
 * (`pkg/apis/<group>/validation`) and Istio's CRD schemas plus validating webhook would refuse. The
 * Istio checks live in `src/istio/validation/`, shared with the control plane's config store.
 *
 * Outcomes, as on a real cluster:
 * - a value of the wrong JSON type in a built-in kind is a decoding error: `KubeApiError` 400
 *   BadRequest "<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot unmarshal ...";
 * - unknown fields under `fieldValidation=Strict` are also a decoding error (400, "strict decoding
 *   error: unknown field "spec.foo""); under `Warn` they are warnings; under `Ignore` nothing;
 * - everything else is returned as causes for a 422 Invalid (`api-errors.ts` `invalid`).
 * Istio's webhook denials are returned as 422 causes too, at the field they concern and with
 * Istio's message text, so kubectl prints the field path and Istio's reason (a real webhook denial
 * is a 400 without a field path; see the report of this module).
 */
import type { KubeObject, ResourceType, StatusCause } from '../kube-object.js';
import { KubeApiError } from '../kube-object.js';
import { validateDeploymentSpec, validateReplicaSetSpec } from './apps-validation.js';
import { checkBuiltinSchema, hasBuiltinSchema } from './builtin-schema.js';
import {
  validateDataKeys,
  validateEndpointSlice,
  validateEvent,
  validatePod,
  validateService,
} from './core-validation.js';
import type { FieldError } from '../../../istio/validation/field-error.js';
import { toStatusCause } from '../../../istio/validation/field-error.js';
import { checkIstioSchema } from '../../../istio/validation/istio-schema.js';
import { validateIstioSemantics } from '../../../istio/validation/istio-validation.js';
import type { NameRule } from './object-meta-validation.js';
import { nameRule, validateObjectMeta } from './object-meta-validation.js';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain } from './name-rules.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface ValidationResult {
  /** Errors: the request is refused with 422 Invalid and these causes (field paths as Kubernetes prints them). */
  readonly causes: StatusCause[];
  /** Unknown or duplicate fields under `fieldValidation=Warn` (sent as `Warning` headers). */
  readonly warnings: string[];
}

/** Name syntax per kind (`ValidateNamespaceName`, `ValidateServiceName`, else DNS subdomain). */
const nameRules: Record<string, NameRule> = {
  Namespace: nameRule(isDns1123Label),
  Service: nameRule(isDns1035Label),
};
const subdomainName = nameRule(isDns1123Subdomain);

export interface ValidationOptions {
  /**
   * False models a cluster without istiod's validating webhook: Istio kinds are then checked only
   * against their CRD (schema and CEL rules), as kube-apiserver alone would. Default true.
   */
  readonly isIstioWebhookEnabled?: boolean;
}

/**
 * Validates an object of `resource` at API `version` as Kubernetes (built-ins) or Istio's webhook would.
 * Throws `KubeApiError` 400 for what kube-apiserver refuses while decoding (wrong JSON types;
 * unknown fields under Strict).
 */
export function validateObject(
  resource: ResourceType,
  version: string,
  object: KubeObject,
  fieldValidation: FieldValidation,
  options: ValidationOptions = {},
): ValidationResult {
  const errors: FieldError[] = [];
  let unknownFields: string[];
  if (resource.isBuiltin && hasBuiltinSchema(resource.kind)) {
    const findings = checkBuiltinSchema(resource.kind, object);
    const first = findings.typeErrors[0];
    if (first !== undefined) throw decodingError(resource, version, first);
    unknownFields = findings.unknownFields;
  } else {
    const findings = checkIstioSchema(resource.group, version, resource.kind, object);
    errors.push(...findings.errors);
    // ObjectMeta is the same for every kind; check it against the built-in schema.
    const meta = checkBuiltinSchema('Namespace', { metadata: object.metadata });
    unknownFields = [...meta.unknownFields, ...findings.unknownFields];
  }
  const warnings: string[] = [];
  if (unknownFields.length > 0) {
    const texts = unknownFields.map((f) => `unknown field "${f}"`);
    if (fieldValidation === 'Strict')
      throw decodingError(resource, version, `strict decoding error: ${texts.join(', ')}`);
    if (fieldValidation === 'Warn') warnings.push(...texts);
  }

  errors.push(
    ...validateObjectMeta(object.metadata, resource.namespaced, nameRules[resource.kind] ?? subdomainName),
  );
  // Istio's webhook only sees objects that passed the CRD schema.
  if (errors.length === 0 || resource.isBuiltin) errors.push(...validateKind(resource, object, options));
  return { causes: errors.map(toStatusCause), warnings };
}

function validateKind(resource: ResourceType, object: KubeObject, options: ValidationOptions): FieldError[] {
  switch (resource.kind) {
    case 'Pod':
      return validatePod(object);
    case 'Service':
      return validateService(object);
    case 'ConfigMap':
      return validateDataKeys(object, 'binaryData');
    case 'Secret':
      return validateDataKeys(object, 'stringData');
    case 'EndpointSlice':
      return validateEndpointSlice(object);
    case 'Event':
      return validateEvent(object);
    case 'Deployment':
      return validateDeploymentSpec(object['spec']);
    case 'ReplicaSet':
      return validateReplicaSetSpec(object['spec']);
    default:
      return resource.isBuiltin
        ? []
        : validateIstioSemantics(object, { isWebhookEnabled: options.isIstioWebhookEnabled ?? true });
  }
}

/** `<Kind> in version "v1" cannot be handled as a <Kind>: ...` (the serializer's decode error). */
function decodingError(resource: ResourceType, version: string, detail: string): KubeApiError {
  return new KubeApiError(
    400,
    'BadRequest',
    `${resource.kind} in version "${version}" cannot be handled as a ${resource.kind}: ${detail}`,
  );
}
