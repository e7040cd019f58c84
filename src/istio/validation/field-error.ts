/**
 * Field errors as Kubernetes reports them (`k8s.io/apimachinery/pkg/util/validation/field/errors.go`):
 * each has a type whose `reason` is the `StatusCause.reason` (`FieldValueRequired` ...) and whose
 * text starts the message ("Required value", "Invalid value: <value>: <detail>", ...).
 */
import { goValue } from './go-value.js';

/** `field.ErrorType`: the cause reason and the text kube-apiserver prints for it. */
const errorTypes = {
  required: { reason: 'FieldValueRequired', text: 'Required value' },
  invalid: { reason: 'FieldValueInvalid', text: 'Invalid value' },
  notSupported: { reason: 'FieldValueNotSupported', text: 'Unsupported value' },
  duplicate: { reason: 'FieldValueDuplicate', text: 'Duplicate value' },
  typeInvalid: { reason: 'FieldValueTypeInvalid', text: 'Invalid value' },
  forbidden: { reason: 'FieldValueForbidden', text: 'Forbidden' },
  tooLong: { reason: 'FieldValueTooLong', text: 'Too long' },
  tooMany: { reason: 'FieldValueTooMany', text: 'Too many' },
} as const;

export type FieldErrorType = keyof typeof errorTypes;

/** One `field.Error`. */
export interface FieldError {
  readonly type: FieldErrorType;
  /** Path as Kubernetes prints it: `spec.template.spec.containers[0].image`. */
  readonly field: string;
  /** The bad value; `undefined` means "not shown" (Required, Forbidden, TooLong print no value). */
  readonly value?: unknown;
  readonly detail: string;
}

/**
 * A field path under construction. `child` appends `.name`, `index` appends `[i]` and `key`
 * appends `[key]` - the same as `field.Path` prints.
 */
export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name: string): FieldPath {
    return new FieldPath(name);
  }

  child(name: string): FieldPath {
    return new FieldPath(this.text === '' ? name : `${this.text}.${name}`);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

export function required(path: FieldPath, detail = ''): FieldError {
  return { type: 'required', field: path.toString(), detail };
}

export function invalid(path: FieldPath, value: unknown, detail: string): FieldError {
  return { type: 'invalid', field: path.toString(), value, detail };
}

export function typeInvalid(path: FieldPath, value: unknown, detail: string): FieldError {
  return { type: 'typeInvalid', field: path.toString(), value, detail };
}

export function duplicate(path: FieldPath, value: unknown): FieldError {
  return { type: 'duplicate', field: path.toString(), value, detail: '' };
}

export function forbidden(path: FieldPath, detail: string): FieldError {
  return { type: 'forbidden', field: path.toString(), detail };
}

/** `field.NotSupported`: the detail lists the supported values quoted, comma-separated. */
export function notSupported(path: FieldPath, value: unknown, supported: readonly string[]): FieldError {
  const detail =
    supported.length === 0 ? '' : `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`;
  return { type: 'notSupported', field: path.toString(), value, detail };
}

/** `Error.ErrorBody()`: the type's text, the value when it is shown, then the detail. */
export function errorBody(error: FieldError): string {
  const type = errorTypes[error.type];
  let body: string = type.text;
  const showsValue =
    error.type !== 'required' && error.type !== 'forbidden' && error.type !== 'tooLong' && 'value' in error;
  if (showsValue) body += `: ${goValue(error.value)}`;
  if (error.detail !== '') body += `: ${error.detail}`;
  return body;
}

/** A Kubernetes `StatusCause` (`metav1.StatusCause`), as kube-apiserver puts it in a 422's `details.causes`. */
export interface FieldErrorCause {
  reason: string;
  message: string;
  field?: string;
}

/** The `StatusCause` kube-apiserver puts in a 422's `details.causes`. */
export function toStatusCause(error: FieldError): FieldErrorCause {
  return { reason: errorTypes[error.type].reason, message: errorBody(error), field: error.field };
}

/** `field.Error.Error()`: `<path>: <body>` - what the Status message lists. */
export function errorString(error: FieldError): string {
  return error.field === '' ? errorBody(error) : `${error.field}: ${errorBody(error)}`;
}
