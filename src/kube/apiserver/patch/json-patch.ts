/**
 * JSON patch (RFC 6902) over plain JSON. Error texts follow the json-patch library kube-apiserver
 * uses (gopkg.in/evanphx/json-patch.v4); patch.go turns a patch that does not decode into 400 and a
 * patch that does not apply into 422 (see patch-errors.ts).
 */
import { cloneJson, isJsonObject, jsonEqual } from './json-value.js';
import { badRequest, unprocessable } from './patch-errors.js';

interface Operation {
  readonly op: string;
  readonly path: string | undefined;
  readonly from: string | undefined;
  readonly value: unknown;
  readonly hasValue: boolean;
}

/** Container (object or array) holding the value a pointer names, and the last token. */
interface Location {
  readonly parent: unknown;
  readonly token: string;
}

/** Parses the patch document; anything but an array of objects is a malformed patch (400). */
function decodeOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  return patch.map((raw) => {
    if (!isJsonObject(raw)) {
      throw badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    }
    return {
      op: typeof raw['op'] === 'string' ? raw['op'] : '',
      path: typeof raw['path'] === 'string' ? raw['path'] : undefined,
      from: typeof raw['from'] === 'string' ? raw['from'] : undefined,
      value: raw['value'],
      hasValue: Object.hasOwn(raw, 'value'),
    };
  });
}

/** RFC 6901: `/a~1b/c~0d` -> ['a/b', 'c~d']; '' is the whole document. */
export function parseJsonPointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (token === '-') return allowEnd ? length : undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  return index < length || (allowEnd && index === length) ? index : undefined;
}

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) {
    const index = arrayIndex(token, container.length, false);
    return index === undefined ? undefined : container[index];
  }
  if (isJsonObject(container) && Object.hasOwn(container, token)) return container[token];
  return undefined;
}

/** Resolves all but the last token; undefined when an intermediate value is missing. */
function locate(doc: unknown, tokens: readonly string[]): Location | undefined {
  let parent = doc;
  for (const token of tokens.slice(0, -1)) {
    parent = child(parent, token);
    if (parent === undefined) return undefined;
  }
  const token = tokens[tokens.length - 1];
  return token === undefined ? undefined : { parent, token };
}

function pointerTokens(op: Operation, pointer: string | undefined): string[] {
  const tokens = pointer === undefined ? undefined : parseJsonPointer(pointer);
  if (tokens === undefined) throw unprocessable(`${op.op} operation: invalid path: ${pointer ?? ''}`);
  return tokens;
}

function getValue(doc: unknown, tokens: readonly string[]): unknown {
  let value = doc;
  for (const token of tokens) {
    value = child(value, token);
    if (value === undefined) return undefined;
  }
  return value;
}

/** Adds (inserting into arrays) or, with `replace`, replaces the value at tokens; returns the new doc. */
function put(doc: unknown, tokens: readonly string[], value: unknown, mode: 'add' | 'replace'): unknown {
  if (tokens.length === 0) return value;
  const path = `/${tokens.join('/')}`;
  const location = locate(doc, tokens);
  if (location === undefined) {
    throw unprocessable(`${mode} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  const { parent, token } = location;
  if (Array.isArray(parent)) {
    const index = arrayIndex(token, parent.length, mode === 'add');
    if (index === undefined) {
      throw unprocessable(`${mode} operation does not apply: Unable to access invalid index: ${token}`);
    }
    parent.splice(index, mode === 'add' ? 0 : 1, value);
  } else if (isJsonObject(parent)) {
    if (mode === 'replace' && !Object.hasOwn(parent, token)) {
      throw unprocessable(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[token] = value;
  } else {
    throw unprocessable(`${mode} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  return doc;
}

function remove(doc: unknown, tokens: readonly string[], opName: string): unknown {
  const path = `/${tokens.join('/')}`;
  const location = locate(doc, tokens);
  const missing = (): Error =>
    unprocessable(`${opName} operation does not apply: doc is missing path: "${path}": missing value`);
  if (location === undefined) throw missing();
  const { parent, token } = location;
  if (Array.isArray(parent)) {
    const index = arrayIndex(token, parent.length, false);
    if (index === undefined) throw missing();
    parent.splice(index, 1);
  } else if (isJsonObject(parent) && Object.hasOwn(parent, token)) {
    delete parent[token];
  } else {
    throw missing();
  }
  return doc;
}

function requireValue(op: Operation): unknown {
  if (!op.hasValue) throw unprocessable(`${op.op} operation: missing value`);
  return cloneJson(op.value);
}

function applyOperation(doc: unknown, op: Operation): unknown {
  const tokens = pointerTokens(op, op.path);
  switch (op.op) {
    case 'add':
      return put(doc, tokens, requireValue(op), 'add');
    case 'replace':
      if (tokens.length === 0) return requireValue(op);
      return put(doc, tokens, requireValue(op), 'replace');
    case 'remove':
      if (tokens.length === 0) throw unprocessable('remove operation does not apply: doc is missing path');
      return remove(doc, tokens, 'remove');
    case 'move':
    case 'copy': {
      const fromTokens = pointerTokens(op, op.from);
      const value = getValue(doc, fromTokens);
      if (value === undefined) {
        throw unprocessable(
          `${op.op} operation does not apply: doc is missing from path: ${op.from ?? ''}: missing value`,
        );
      }
      const moved = cloneJson(value);
      const afterRemove = op.op === 'move' ? remove(doc, fromTokens, 'move') : doc;
      return put(afterRemove, tokens, moved, 'add');
    }
    case 'test': {
      const actual = getValue(doc, tokens);
      // json-patch v4 treats a missing value as null for `test`.
      if (!jsonEqual(actual === undefined ? null : actual, op.hasValue ? op.value : null)) {
        throw unprocessable(`testing value ${op.path ?? ''} failed: test failed`);
      }
      return doc;
    }
    default:
      throw unprocessable(`Unexpected kind: ${op.op}`);
  }
}

/** kube-apiserver refuses JSON patches with more operations than this (patch.go). */
const maxJsonPatchOperations = 10000;

/** Applies an RFC 6902 patch to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const operations = decodeOperations(patch);
  if (operations.length > maxJsonPatchOperations) {
    throw badRequest(
      `The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${operations.length}`,
    );
  }
  return operations.reduce<unknown>((current, op) => applyOperation(current, op), cloneJson(doc));
}
