/**
 * `metadata` checks of `k8s.io/apimachinery/pkg/api/validation/objectmeta.go` and the label
 * checks of `apimachinery/pkg/apis/meta/v1/validation`.
 */
import type { FieldError } from '../../../istio/validation/field-error.js';
import { FieldPath, forbidden, invalid, required } from '../../../istio/validation/field-error.js';
import { isRecord, recordAt, stringAt } from '../../../core/json-shape.js';
import { isDns1123Label, isLabelValue, isQualifiedName } from './name-rules.js';

/** A name rule (`ValidateNameFunc`): `isPrefix` is true for `generateName`. */
export type NameRule = (name: string, isPrefix: boolean) => string[];

/** Wraps a syntax check as a name rule; a generateName prefix may end in '-' (`maskTrailingDash`). */
export function nameRule(check: (value: string) => string[]): NameRule {
  return (name, isPrefix) => {
    const masked = isPrefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
    return check(masked);
  };
}

const totalAnnotationSizeLimitBytes = 256 * 1024;

export function validateObjectMeta(
  metadata: unknown,
  isNamespaced: boolean,
  rule: NameRule,
  path: FieldPath = FieldPath.root('metadata'),
): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(metadata)) return [required(path)];
  const generateName = stringAt(metadata, 'generateName');
  if (generateName !== undefined && generateName !== '') {
    for (const msg of rule(generateName, true))
      errs.push(invalid(path.child('generateName'), generateName, msg));
  }
  const name = stringAt(metadata, 'name') ?? '';
  // kube-apiserver generates the name before validating; a caller that validates first still has
  // generateName, which is enough here.
  if (name === '') {
    if ((generateName ?? '') === '')
      errs.push(required(path.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of rule(name, false)) errs.push(invalid(path.child('name'), name, msg));
  }
  return errs.concat(validateRest(metadata, isNamespaced, path));
}

/** Namespace, labels and annotations. */
function validateRest(
  metadata: Record<string, unknown>,
  isNamespaced: boolean,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = stringAt(metadata, 'namespace') ?? '';
  if (isNamespaced) {
    for (const msg of namespace === '' ? [] : isDns1123Label(namespace))
      errs.push(invalid(path.child('namespace'), namespace, msg));
  } else if (namespace !== '') {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateLabels(recordAt(metadata, 'labels'), path.child('labels')));
  errs.push(...validateAnnotations(recordAt(metadata, 'annotations'), path.child('annotations')));
  return errs;
}

/** `ValidateLabels`: key and value problems are both reported at the map's own path. */
export function validateLabels(labels: Record<string, unknown> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    if (typeof v === 'string') for (const msg of isLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/** `ValidateAnnotations`: keys are qualified names (case-insensitive); total size at most 256 KiB. */
export function validateAnnotations(
  annotations: Record<string, unknown> | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > totalAnnotationSizeLimitBytes) {
    errs.push({
      type: 'tooLong',
      field: path.toString(),
      detail: `must have at most ${totalAnnotationSizeLimitBytes} bytes`,
    });
  }
  return errs;
}
