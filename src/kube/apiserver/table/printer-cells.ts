/** Cell values every printer shares: NAME, AGE and the `<none>` placeholder. */
import { stringAt } from '../../../core/json-shape.js';
import { timestampSince } from './human-duration.js';

export type Obj = Record<string, unknown>;

export const nameOf = (o: Obj): string => stringAt(o['metadata'], 'name') ?? '';
export const ageOf = (o: Obj, nowMs: number): string =>
  timestampSince(stringAt(o['metadata'], 'creationTimestamp'), nowMs);
export const orNone = (s: string | undefined): string => (s === undefined || s === '' ? '<none>' : s);
