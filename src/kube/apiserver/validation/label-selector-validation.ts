/**
 * `metav1.LabelSelector` checks (`apimachinery/pkg/apis/meta/v1/validation.ValidateLabelSelector`)
 * and selector matching (`metav1.LabelSelectorAsSelector`).
 */
import type { FieldError, FieldPath } from '../../../istio/validation/field-error.js';
import { forbidden, invalid, required } from '../../../istio/validation/field-error.js';
import { GoLiteral, goQuote } from '../../../istio/validation/go-value.js';
import { arrayAt, isRecord, recordAt, stringAt, stringMapAt } from '../../../core/json-shape.js';
import { validateLabels } from './object-meta-validation.js';
import { isQualifiedName } from './name-rules.js';

export function validateLabelSelector(selector: unknown, path: FieldPath): FieldError[] {
  if (!isRecord(selector)) return [];
  const errs: FieldError[] = [];
  (arrayAt(selector, 'matchExpressions') ?? []).forEach((req, i) => {
    const p = path.child('matchExpressions').index(i);
    const operator = stringAt(req, 'operator') ?? '';
    const values = arrayAt(req, 'values') ?? [];
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0)
        errs.push(required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0)
        errs.push(
          forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
    } else {
      errs.push(invalid(p.child('operator'), operator, 'not a valid selector operator'));
    }
    const key = stringAt(req, 'key') ?? '';
    for (const msg of isQualifiedName(key)) errs.push(invalid(p.child('key'), key, msg));
  });
  errs.push(...validateLabels(recordAt(selector, 'matchLabels'), path.child('matchLabels')));
  return errs;
}

/** True when the selector has neither matchLabels nor matchExpressions (it would select everything). */
export function isEmptySelector(selector: unknown): boolean {
  return (
    Object.keys(recordAt(selector, 'matchLabels') ?? {}).length === 0 &&
    (arrayAt(selector, 'matchExpressions') ?? []).length === 0
  );
}

/** Whether `labels` satisfy the selector (In/NotIn/Exists/DoesNotExist as `labels.Selector`). */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(stringMapAt(selector, 'matchLabels')))
    if (labels[k] !== v) return false;
  for (const req of arrayAt(selector, 'matchExpressions') ?? []) {
    const key = stringAt(req, 'key') ?? '';
    const values = (arrayAt(req, 'values') ?? []).filter((v): v is string => typeof v === 'string');
    const value = labels[key];
    switch (stringAt(req, 'operator')) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The selector as Go's `%#v` prints a `*v1.LabelSelector` in an "Invalid value" message. */
export function goLabelSelector(selector: unknown): GoLiteral {
  const labels = stringMapAt(selector, 'matchLabels');
  const keys = Object.keys(labels).sort();
  const matchLabels =
    keys.length === 0
      ? 'map[string]string(nil)'
      : `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(labels[k] ?? '')}`).join(', ')}}`;
  const exprs = arrayAt(selector, 'matchExpressions') ?? [];
  const matchExpressions =
    exprs.length === 0
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((e) => {
            const values = (arrayAt(e, 'values') ?? []).map((v) => goQuote(String(v)));
            return `v1.LabelSelectorRequirement{Key:${goQuote(stringAt(e, 'key') ?? '')}, Operator:${goQuote(stringAt(e, 'operator') ?? '')}, Values:[]string{${values.join(', ')}}}`;
          })
          .join(', ')}}`;
  return new GoLiteral(`&v1.LabelSelector{MatchLabels:${matchLabels}, MatchExpressions:${matchExpressions}}`);
}
