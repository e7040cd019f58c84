/**
 * Deployment and ReplicaSet checks of `k8s.io/kubernetes/pkg/apis/apps/validation/validation.go`
 * (`ValidateDeploymentSpec`, `ValidateReplicaSetSpec`, `ValidatePodTemplateSpecForReplicaSet`).
 */
import type { FieldError } from '../../../istio/validation/field-error.js';
import { FieldPath, invalid, notSupported, required } from '../../../istio/validation/field-error.js';
import { GoLiteral } from '../../../istio/validation/go-value.js';
import { isRecord, numberAt, recordAt, stringAt, stringMapAt } from '../../../core/json-shape.js';
import {
  goLabelSelector,
  isEmptySelector,
  selectorMatches,
  validateLabelSelector,
} from './label-selector-validation.js';
import { validateAnnotations, validateLabels } from './object-meta-validation.js';
import { validatePodSpec } from './pod-spec-validation.js';

const strategyTypes = ['Recreate', 'RollingUpdate'];

export function validateDeploymentSpec(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  if (!isRecord(spec)) return [required(path)];
  const errs = validateReplicatedSpec(spec, path, 'deployment');
  const strategy = recordAt(spec, 'strategy');
  const type = stringAt(strategy, 'type');
  if (type !== undefined && !strategyTypes.includes(type))
    errs.push(notSupported(path.child('strategy').child('type'), type, strategyTypes));
  const rolling = recordAt(strategy, 'rollingUpdate');
  if (rolling !== undefined) {
    if (type === 'Recreate')
      errs.push({
        type: 'forbidden',
        field: path.child('strategy').child('rollingUpdate').toString(),
        detail: "may not be specified when strategy `type` is 'Recreate'",
      });
    else errs.push(...validateRollingUpdate(rolling, path.child('strategy').child('rollingUpdate')));
  }
  for (const field of ['revisionHistoryLimit', 'minReadySeconds', 'progressDeadlineSeconds']) {
    const v = numberAt(spec, field);
    if (v !== undefined && v < 0)
      errs.push(invalid(path.child(field), v, 'must be greater than or equal to 0'));
  }
  const deadline = numberAt(spec, 'progressDeadlineSeconds');
  const minReady = numberAt(spec, 'minReadySeconds') ?? 0;
  if (deadline !== undefined && deadline <= minReady)
    errs.push(
      invalid(path.child('progressDeadlineSeconds'), deadline, 'must be greater than minReadySeconds'),
    );
  return errs;
}

export function validateReplicaSetSpec(spec: unknown): FieldError[] {
  const path = FieldPath.root('spec');
  if (!isRecord(spec)) return [required(path)];
  const errs = validateReplicatedSpec(spec, path, 'replicaset');
  const minReady = numberAt(spec, 'minReadySeconds');
  if (minReady !== undefined && minReady < 0)
    errs.push(invalid(path.child('minReadySeconds'), minReady, 'must be greater than or equal to 0'));
  return errs;
}

/** What Deployments and ReplicaSets share: replicas, selector, and a template the selector selects. */
function validateReplicatedSpec(spec: Record<string, unknown>, path: FieldPath, what: string): FieldError[] {
  const errs: FieldError[] = [];
  const replicas = numberAt(spec, 'replicas');
  if (replicas !== undefined && replicas < 0)
    errs.push(invalid(path.child('replicas'), replicas, 'must be greater than or equal to 0'));
  const selector = spec['selector'];
  const templatePath = path.child('template');
  const template = recordAt(spec, 'template');
  if (!isRecord(selector)) {
    errs.push(required(path.child('selector')));
  } else {
    errs.push(...validateLabelSelector(selector, path.child('selector')));
    if (isEmptySelector(selector))
      errs.push(
        invalid(path.child('selector'), goLabelSelector(selector), `empty selector is invalid for ${what}`),
      );
  }
  if (template === undefined) {
    errs.push(required(templatePath));
    return errs;
  }
  const metadata = recordAt(template, 'metadata');
  const labels = stringMapAt(metadata, 'labels');
  const labelsPath = templatePath.child('metadata').child('labels');
  if (isRecord(selector) && !isEmptySelector(selector) && !selectorMatches(selector, labels))
    errs.push(
      invalid(
        labelsPath,
        // Go prints an absent map as a typed nil.
        Object.keys(labels).length === 0 ? new GoLiteral('map[string]string(nil)') : labels,
        '`selector` does not match template `labels`',
      ),
    );
  errs.push(...validateLabels(recordAt(metadata, 'labels'), labelsPath));
  errs.push(
    ...validateAnnotations(
      recordAt(metadata, 'annotations'),
      templatePath.child('metadata').child('annotations'),
    ),
  );
  errs.push(...validatePodSpec(template['spec'], templatePath.child('spec'), ['Always']));
  return errs;
}

/** `ValidateRollingUpdateDeployment`: int-or-percent values, not both zero, unavailable <= 100%. */
function validateRollingUpdate(rolling: Record<string, unknown>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const unavailable = rolling['maxUnavailable'];
  const surge = rolling['maxSurge'];
  errs.push(...validateIntOrPercent(unavailable, path.child('maxUnavailable')));
  errs.push(...validateIntOrPercent(surge, path.child('maxSurge')));
  if (isZero(surge) && isZero(unavailable) && unavailable !== undefined && surge !== undefined)
    errs.push(invalid(path.child('maxUnavailable'), unavailable, 'may not be 0 when `maxSurge` is 0'));
  if (typeof unavailable === 'string' && /^[0-9]+%$/.test(unavailable) && parseInt(unavailable, 10) > 100)
    errs.push(invalid(path.child('maxUnavailable'), unavailable, 'must not be greater than 100%'));
  return errs;
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '0%';
}

function validateIntOrPercent(value: unknown, path: FieldPath): FieldError[] {
  if (typeof value === 'number')
    return value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
  if (typeof value === 'string') {
    if (!/^[0-9]+%$/.test(value))
      return [
        invalid(
          path,
          value,
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ),
      ];
  }
  return [];
}
