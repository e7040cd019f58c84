/**
 * Structural-schema checks of Istio's CRDs (`crd-all.gen.yaml` of Istio 1.29, compiled to ajv
 * validators by `@kubernetes-models/istio`), reported the way kube-apiserver reports CRD schema
 * failures (`apiextensions-apiserver/pkg/apiserver/validation.ConvertToFieldErrors`), plus the CRD's
 * declared field set for unknown-field detection.
 *
 * The compiled validators do not expose their schema, so the declared fields are observed: the
 * object is validated through a recording Proxy, and the validator reads every declared property of
 * each object it checks. Keys present but never read are undeclared. An object whose properties were
 * never read is free-form (`x-kubernetes-preserve-unknown-fields`, e.g. `status`, Struct values).
 */
import * as networkingV1 from '@kubernetes-models/istio/networking.istio.io/v1';
import * as networkingV1alpha3 from '@kubernetes-models/istio/networking.istio.io/v1alpha3';
import * as networkingV1beta1 from '@kubernetes-models/istio/networking.istio.io/v1beta1';
import * as securityV1 from '@kubernetes-models/istio/security.istio.io/v1';
import * as securityV1beta1 from '@kubernetes-models/istio/security.istio.io/v1beta1';
import type { FieldError } from './field-error.js';
import { FieldPath, invalid, notSupported, required, typeInvalid } from './field-error.js';
import { isRecord } from '../../core/json-shape.js';

interface ModelClass {
  prototype: { validate(): void };
}

const modules: Record<string, Record<string, unknown>> = {
  'networking.istio.io/v1': networkingV1,
  'networking.istio.io/v1beta1': networkingV1beta1,
  'networking.istio.io/v1alpha3': networkingV1alpha3,
  'security.istio.io/v1': securityV1,
  'security.istio.io/v1beta1': securityV1beta1,
};

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}

export interface IstioSchemaFindings {
  readonly errors: FieldError[];
  /** Undeclared fields under `spec` (metadata is checked against ObjectMeta separately). */
  readonly unknownFields: string[];
}

function modelFor(group: string, version: string, kind: string): ModelClass | undefined {
  const m = modules[`${group}/${version}`]?.[kind];
  return typeof m === 'function' ? (m as unknown as ModelClass) : undefined;
}

export function hasIstioSchema(group: string, version: string, kind: string): boolean {
  return modelFor(group, version, kind) !== undefined;
}

export function checkIstioSchema(
  group: string,
  version: string,
  kind: string,
  object: unknown,
): IstioSchemaFindings {
  const model = modelFor(group, version, kind);
  if (model === undefined || !isRecord(object)) return { errors: [], unknownFields: [] };
  const reads = new Map<string, Set<string>>();
  const enumerated = new Set<string>();
  const proxied = record(object, '', reads, enumerated);
  let ajvErrors: AjvError[] = [];
  try {
    model.prototype.validate.call(proxied);
  } catch (e) {
    const errors = (e as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw e;
    ajvErrors = errors as AjvError[];
  }
  // A custom resource has only these top-level fields (anything else would be pruned).
  const topLevel = Object.keys(object).filter(
    (k) => !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k),
  );
  return {
    errors: toFieldErrors(ajvErrors, object),
    unknownFields: [...topLevel, ...undeclared(object, 'spec', reads, enumerated)],
  };
}

/** Wraps every object and array of `value` so reads of object properties are recorded per path. */
function record(
  value: unknown,
  path: string,
  reads: Map<string, Set<string>>,
  enumerated: Set<string>,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const isArray = Array.isArray(value);
  return new Proxy(value, {
    get(target, key, receiver) {
      const child: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return child;
      if (isArray) return /^\d+$/.test(key) ? record(child, `${path}[${key}]`, reads, enumerated) : child;
      let set = reads.get(path);
      if (set === undefined) reads.set(path, (set = new Set()));
      set.add(key);
      return record(child, path === '' ? key : `${path}.${key}`, reads, enumerated);
    },
    ownKeys(target) {
      enumerated.add(path);
      return Reflect.ownKeys(target);
    },
  });
}

/** Undeclared fields under the top-level field `key` (`spec`). */
function undeclared(
  root: unknown,
  key: string,
  reads: Map<string, Set<string>>,
  enumerated: Set<string>,
): string[] {
  return collect(isRecord(root) ? root[key] : undefined, key, reads, enumerated);
}

function collect(
  value: unknown,
  path: string,
  reads: Map<string, Set<string>>,
  enumerated: Set<string>,
): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => out.push(...collect(item, `${path}[${i}]`, reads, enumerated)));
    return out;
  }
  if (!isRecord(value)) return out;
  const read = reads.get(path);
  const isFreeForm = enumerated.has(path) || read === undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    if (!isFreeForm && !read.has(key)) out.push(childPath);
    else out.push(...collect(child, childPath, reads, enumerated));
  }
  return out;
}

/** ajv's `/spec/trafficPolicy/0/x` as Kubernetes prints it: `spec.trafficPolicy[0].x`. */
function fieldPathOf(instancePath: string): FieldPath {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = FieldPath.root('');
  for (const part of parts) path = /^\d+$/.test(part) ? path.index(Number(part)) : path.child(part);
  return path;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let v: unknown = root;
  for (const part of instancePath.split('/').slice(1)) {
    if (Array.isArray(v)) v = v[Number(part)];
    else if (isRecord(v)) v = v[part];
    else return undefined;
  }
  return v;
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * kube-openapi's messages (`<path> in body must be of type string: "integer"`, `should be less
 * than or equal to 100`, ...). Errors from inside oneOf/anyOf/not branches are dropped; the
 * branch keyword's own error stands for them, as kube-openapi reports it.
 */
function toFieldErrors(errors: readonly AjvError[], root: unknown): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // ajv's standalone code splits sub-schemas into functions, so a branch's own errors may carry a
    // schemaPath relative to the branch: drop `not`/`anyOf` keyword errors as well.
    if (/\/(oneOf|anyOf|not|allOf)\//.test(e.schemaPath) || e.keyword === 'not' || e.keyword === 'anyOf')
      continue;
    const path = fieldPathOf(e.instancePath);
    const name = path.toString();
    const value = valueAt(root, e.instancePath);
    let error: FieldError;
    switch (e.keyword) {
      case 'required': {
        const missing = String(e.params['missingProperty'] ?? '');
        error = required(path.child(missing));
        break;
      }
      case 'type':
        error = typeInvalid(
          path,
          jsonTypeName(value),
          `${name} in body must be of type ${String(e.params['type'])}: "${jsonTypeName(value)}"`,
        );
        break;
      case 'enum': {
        const allowed = Array.isArray(e.params['allowedValues']) ? e.params['allowedValues'].map(String) : [];
        error = notSupported(path, value, allowed);
        break;
      }
      case 'minimum':
        error = invalid(
          path,
          value,
          `${name} in body should be greater than or equal to ${String(e.params['limit'])}`,
        );
        break;
      case 'maximum':
        error = invalid(
          path,
          value,
          `${name} in body should be less than or equal to ${String(e.params['limit'])}`,
        );
        break;
      case 'oneOf':
        error = invalid(
          path,
          jsonTypeName(value),
          `${name} in body must validate one and only one schema (oneOf)`,
        );
        break;
      case 'format':
        error = invalid(
          path,
          value,
          `${name} in body must be of type ${String(e.params['format'])}: ${JSON.stringify(String(value))}`,
        );
        break;
      default:
        error = invalid(path, value, `${name} in body ${e.keyword} check failed`);
    }
    const key = `${error.field}|${error.detail}|${error.type}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(error);
    }
  }
  return out;
}
