/**
 * Label selectors: the string syntax of `?labelSelector=` (`app=a,tier in (x,y),!canary`) and the
 * `metav1.LabelSelector` object (matchLabels + matchExpressions), as
 * `k8s.io/apimachinery/pkg/labels/selector.go` and `apis/meta/v1/helpers.go` define them.
 */
import { asArray, asRecord, asString, recordOrUndefined, stringMap } from './json-fields.js';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** A parsed selector; an empty list matches everything. */
export type LabelSelector = readonly LabelRequirement[];

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Parses the string syntax; throws an Error on malformed input. */
export function parseLabelSelector(text: string): LabelSelector {
  const out: LabelRequirement[] = [];
  for (const part of splitTopLevel(text)) {
    const setMatch = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (setMatch) {
      const values = (setMatch[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      out.push({ key: setMatch[1] ?? '', operator: setMatch[2] === 'in' ? 'In' : 'NotIn', values });
      continue;
    }
    const eqMatch = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(part);
    if (eqMatch) {
      const value = eqMatch[3] ?? '';
      out.push({ key: eqMatch[1] ?? '', operator: eqMatch[2] === '!=' ? 'NotIn' : 'In', values: [value] });
      continue;
    }
    const existsMatch = /^(!?)([^\s!=()]+)$/.exec(part);
    if (existsMatch) {
      out.push({
        key: existsMatch[2] ?? '',
        operator: existsMatch[1] === '!' ? 'DoesNotExist' : 'Exists',
        values: [],
      });
      continue;
    }
    throw new Error(`unable to parse requirement: ${part}`);
  }
  return out;
}

/**
 * Converts a `metav1.LabelSelector` object. Like `LabelSelectorAsSelector`, an absent selector
 * (undefined) selects nothing and an empty one selects everything.
 */
export function selectorFromObject(selector: unknown): LabelSelector | undefined {
  const sel = recordOrUndefined(selector);
  if (sel === undefined) return undefined;
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(stringMap(sel['matchLabels']))) {
    out.push({ key, operator: 'In', values: [value] });
  }
  for (const raw of asArray(sel['matchExpressions'])) {
    const e = asRecord(raw);
    const op = asString(e['operator']);
    if (op !== 'In' && op !== 'NotIn' && op !== 'Exists' && op !== 'DoesNotExist') continue;
    out.push({
      key: asString(e['key']),
      operator: op,
      values: asArray(e['values']).filter((v): v is string => typeof v === 'string'),
    });
  }
  return out;
}

/** A selector from a plain label map (Service `spec.selector`): every pair must match. */
export function selectorFromMap(labels: Record<string, string>): LabelSelector {
  return Object.entries(labels).map(([key, value]) => ({ key, operator: 'In' as const, values: [value] }));
}

function matchesRequirement(req: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
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

/** True when every requirement matches these labels. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((req) => matchesRequirement(req, labels));
}
