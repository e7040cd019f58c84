/**
 * Istio's validation of its own resources, one implementation for both places that need it: the lab
 * API server refuses invalid objects at admission (as the CRD schema plus istiod's validating webhook
 * do), and the control plane's config store skips invalid objects it reads (objects that reached a
 * cluster without the webhook). Errors are Kubernetes field errors with Istio's messages.
 */
import type { FieldError } from './field-error.js';
import { checkIstioSchema } from './istio-schema.js';
import { validateIstioSemantics, type IstioObject } from './istio-validation.js';

export type { FieldError, FieldErrorCause } from './field-error.js';
export { errorBody, errorString, toStatusCause } from './field-error.js';
export type { IstioObject } from './istio-validation.js';
export { hasIstioSchema } from './istio-schema.js';

export interface IstioValidationResult {
  /** Empty when the object is valid. */
  readonly errors: readonly FieldError[];
  /** Fields the CRD schema does not declare (kube-apiserver would prune or, under Strict, refuse them). */
  readonly unknownFields: readonly string[];
}

/**
 * The CRD schema of `group/version` first; only an object the schema accepts is checked by the
 * webhook's rules (kube-apiserver runs admission webhooks after schema validation).
 */
export function validateIstioObject(
  group: string,
  version: string,
  object: IstioObject,
  options: { isWebhookEnabled?: boolean } = {},
): IstioValidationResult {
  const schema = checkIstioSchema(group, version, object.kind, object);
  if (schema.errors.length > 0) return { errors: schema.errors, unknownFields: schema.unknownFields };
  return { errors: validateIstioSemantics(object, options), unknownFields: schema.unknownFields };
}
