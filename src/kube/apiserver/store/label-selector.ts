/**
 * Kubernetes label selector strings (`app=web,tier in (a,b),!canary,env!=prod`), parsed once and
 * matched against `metadata.labels`. Grammar as in apimachinery `pkg/labels/selector.go`: requirements
 * separated by commas; operators `=`, `==`, `!=`, `in`, `notin`, existence (`key`) and `!key`.
 */
import { KubeApiError } from '../kube-object.js';

type Requirement =
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'notexists'; readonly key: string };

export interface LabelSelector {
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const everything: LabelSelector = { matches: () => true };

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

function parseRequirement(selector: string, text: string): Requirement {
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
    return { op: setMatch[2] === 'in' ? 'in' : 'notin', key: checkKey(setMatch[1] ?? ''), values };
  }
  const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (eqMatch !== null) {
    return {
      op: eqMatch[2] === '!=' ? 'neq' : 'eq',
      key: checkKey(eqMatch[1] ?? ''),
      value: checkValue(eqMatch[3] ?? ''),
    };
  }
  if (text.startsWith('!')) return { op: 'notexists', key: checkKey(text.slice(1).trim()) };
  if (text !== '') return { op: 'exists', key: checkKey(text) };
  throw badSelector(selector, 'found empty requirement');
}

function matchesRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.value;
    case 'neq':
      // apimachinery: `!=` also matches objects without the label.
      return !has || value !== r.value;
    case 'in':
      return has && r.values.includes(value ?? '');
    case 'notin':
      return !has || !r.values.includes(value ?? '');
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Parses a selector; an empty or absent selector matches everything. Throws 400 BadRequest when malformed. */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (selector === undefined || selector.trim() === '') return everything;
  const requirements = splitTopLevel(selector).map((part) => parseRequirement(selector, part));
  return {
    matches: (labels) => requirements.every((r) => matchesRequirement(r, labels ?? {})),
  };
}

/** The selector string of a `LabelSelector` object (`matchLabels`/`matchExpressions`), e.g. for Scale status. */
export function formatLabelSelector(selector: unknown): string {
  if (typeof selector !== 'object' || selector === null) return '';
  const parts: string[] = [];
  const { matchLabels, matchExpressions } = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  if (typeof matchLabels === 'object' && matchLabels !== null) {
    for (const [k, v] of Object.entries(matchLabels)) parts.push(`${k}=${String(v)}`);
  }
  if (Array.isArray(matchExpressions)) {
    for (const e of matchExpressions as Array<{ key?: unknown; operator?: unknown; values?: unknown }>) {
      const key = String(e.key);
      const values = Array.isArray(e.values) ? e.values.map(String).join(',') : '';
      if (e.operator === 'In') parts.push(`${key} in (${values})`);
      else if (e.operator === 'NotIn') parts.push(`${key} notin (${values})`);
      else if (e.operator === 'Exists') parts.push(key);
      else if (e.operator === 'DoesNotExist') parts.push(`!${key}`);
    }
  }
  return parts.join(',');
}
