/**
 * Kubernetes label selectors, for the API (`?labelSelector=` strings) and the controllers
 * (`metav1.LabelSelector` objects, Service selectors, node affinity terms). Grammar and meaning as in
 * apimachinery `pkg/labels/selector.go` and `apis/meta/v1/helpers.go`: comma-separated requirements
 * with `=`/`==`/`!=`, `in`/`notin`, existence (`key`) and `!key`; `!=` and `notin` also match objects
 * without the label.
 */
import { KubeApiError } from './kube-object.js';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** A parsed selector: every requirement must match; an empty list matches everything. */
export type LabelSelector = readonly LabelRequirement[];

type Labels = Readonly<Record<string, string>>;

function badSelector(selector: string, why: string): KubeApiError {
  return new KubeApiError(
    400,
    'BadRequest',
    `unable to parse requirement: ${why} in label selector "${selector}"`,
  );
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

// A qualified name with optional DNS prefix (`app.kubernetes.io/name`); values may be empty.
const keyPattern = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function parseRequirement(selector: string, text: string): LabelRequirement {
  const checkKey = (key: string): string => {
    if (!keyPattern.test(key)) throw badSelector(selector, `invalid label key "${key}"`);
    return key;
  };
  const checkValue = (value: string): string => {
    if (!valuePattern.test(value)) throw badSelector(selector, `invalid label value "${value}"`);
    return value;
  };
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (setMatch !== null) {
    const values = (setMatch[3] ?? '')
      .split(',')
      .map((v) => v.trim())
      .map(checkValue);
    return { key: checkKey(setMatch[1] ?? ''), operator: setMatch[2] === 'in' ? 'In' : 'NotIn', values };
  }
  const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (eqMatch !== null) {
    return {
      key: checkKey(eqMatch[1] ?? ''),
      operator: eqMatch[2] === '!=' ? 'NotIn' : 'In',
      values: [checkValue(eqMatch[3] ?? '')],
    };
  }
  if (text.startsWith('!'))
    return { key: checkKey(text.slice(1).trim()), operator: 'DoesNotExist', values: [] };
  if (text !== '') return { key: checkKey(text), operator: 'Exists', values: [] };
  throw badSelector(selector, 'found empty requirement');
}

/** Parses the string syntax; an empty or absent selector matches everything. Throws 400 BadRequest when malformed. */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (selector === undefined || selector.trim() === '') return [];
  return splitTopLevel(selector).map((part) => parseRequirement(selector, part));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Converts a `metav1.LabelSelector` object. Like `LabelSelectorAsSelector`, an absent selector
 * (undefined) selects nothing and an empty one selects everything.
 */
export function selectorFromObject(selector: unknown): LabelSelector | undefined {
  if (!isRecord(selector)) return undefined;
  const out: LabelRequirement[] = [];
  const matchLabels = selector['matchLabels'];
  if (isRecord(matchLabels)) {
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value === 'string') out.push({ key, operator: 'In', values: [value] });
    }
  }
  const expressions = selector['matchExpressions'];
  for (const e of Array.isArray(expressions) ? expressions : []) {
    if (!isRecord(e)) continue;
    const op = e['operator'];
    if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') continue;
    const values = e['values'];
    out.push({
      key: typeof e['key'] === 'string' ? e['key'] : '',
      operator: op,
      values: (Array.isArray(values) ? values : []).filter((v): v is string => typeof v === 'string'),
    });
  }
  return out;
}

/** A selector from a plain label map (Service `spec.selector`): every pair must match. */
export function selectorFromMap(labels: Labels): LabelSelector {
  return Object.entries(labels).map(([key, value]) => ({ key, operator: 'In' as const, values: [value] }));
}

function matchesRequirement(req: LabelRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
      return has && value !== undefined && req.values.includes(value);
    case 'NotIn':
      return !has || value === undefined || !req.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      // Node affinity's Gt/Lt compare the label value and the single operand as integers.
      if (!has || value === undefined || req.values.length !== 1) return false;
      const left = Number.parseInt(value, 10);
      const right = Number.parseInt(req.values[0] ?? '', 10);
      if (Number.isNaN(left) || Number.isNaN(right)) return false;
      return req.operator === 'Gt' ? left > right : left < right;
    }
  }
}

/** True when every requirement matches these labels (absent labels = none). */
export function selectorMatches(selector: LabelSelector, labels: Labels | undefined): boolean {
  const present = labels ?? {};
  return selector.every((req) => matchesRequirement(req, present));
}

/** The selector string of a `LabelSelector` object (`matchLabels`/`matchExpressions`), e.g. for Scale status. */
export function formatLabelSelector(selector: unknown): string {
  if (!isRecord(selector)) return '';
  const parts: string[] = [];
  const matchLabels = selector['matchLabels'];
  if (isRecord(matchLabels)) {
    for (const [k, v] of Object.entries(matchLabels)) parts.push(`${k}=${String(v)}`);
  }
  const expressions = selector['matchExpressions'];
  for (const e of Array.isArray(expressions) ? expressions : []) {
    if (!isRecord(e)) continue;
    const key = String(e['key']);
    const values = Array.isArray(e['values']) ? e['values'].map(String).join(',') : '';
    const op = e['operator'];
    if (op === 'In') parts.push(`${key} in (${values})`);
    else if (op === 'NotIn') parts.push(`${key} notin (${values})`);
    else if (op === 'Exists') parts.push(key);
    else if (op === 'DoesNotExist') parts.push(`!${key}`);
  }
  return parts.join(',');
}
