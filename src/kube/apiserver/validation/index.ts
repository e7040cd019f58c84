/**
 * Object validation of the lab API server (contract; implemented in this folder).
 */
import type { KubeObject, ResourceType, StatusCause } from '../kube-object.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface ValidationResult {
  /** Errors: the request is refused with 422 Invalid and these causes (field paths as Kubernetes prints them). */
  readonly causes: StatusCause[];
  /** Unknown or duplicate fields under `fieldValidation=Warn` (sent as `Warning` headers). */
  readonly warnings: string[];
}

/** Validates an object of `resource` at API `version` as Kubernetes (built-ins) or Istio's webhook would. */
export function validateObject(
  resource: ResourceType,
  version: string,
  object: KubeObject,
  fieldValidation: FieldValidation,
): ValidationResult {
  void resource;
  void version;
  void object;
  void fieldValidation;
  return { causes: [], warnings: [] };
}
