/**
 * Building blocks shared by the Istio kinds' checks: CRD-level duration rules and the webhook's
 * errors placed at the field they are about.
 */
import type { FieldError, FieldPath } from './field-error.js';
import { invalid } from './field-error.js';
import { isDurationAtLeast1ms } from './go-duration.js';
import { isRecord } from '../../core/json-shape.js';

const durationRuleMessage = 'must be a valid duration greater than 1ms';

/** True for errors of the CRD's own rules, which kube-apiserver reports before any webhook runs. */
export function isCrdRuleError(error: FieldError): boolean {
  return error.detail === durationRuleMessage;
}

/**
 * Istio's CRDs give every `google.protobuf.Duration` the CEL rule `duration(self) >=
 * duration('1ms')` (istio/tools cmd/cue-gen openapi: "must be a valid duration greater than 1ms");
 * kube-apiserver reports a failed rule as `Invalid value: "string": <message>`.
 */
export function checkDuration(parent: unknown, key: string, path: FieldPath, out: FieldError[]): void {
  if (!isRecord(parent)) return;
  const value = parent[key];
  if (typeof value !== 'string') return;
  if (!isDurationAtLeast1ms(value)) out.push(invalid(path.child(key), 'string', durationRuleMessage));
}

/**
 * A webhook error (istio `pkg/config/validation`) reported at the field it concerns. Scalar values
 * are shown; for objects, lists and absent fields the value is omitted (`field.OmitValueType`), so
 * kubectl prints `spec.x: Invalid value: <Istio's message>`.
 */
export function webhookError(path: FieldPath, value: unknown, message: string): FieldError {
  const isScalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return isScalar
    ? invalid(path, value, message)
    : { type: 'invalid', field: path.toString(), detail: message };
}

/** `ValidatePercent`: "percentage %v is not in range 0..100". */
export function checkPercent(parent: unknown, key: string, path: FieldPath, out: FieldError[]): void {
  if (!isRecord(parent)) return;
  const value = parent[key];
  if (typeof value === 'number' && (value < 0 || value > 100))
    out.push(webhookError(path.child(key), value, `percentage ${value} is not in range 0..100`));
}
