/**
 * Renders a bad value the way `field.Error.ErrorBody()` prints it with Go's fmt: strings `%q`,
 * numbers and booleans `%v`, other values `%#v` (`map[string]string{"app":"web"}`, keys sorted as
 * fmt sorts map keys).
 */

/** A value whose Go rendering is already known (e.g. `&v1.LabelSelector{...}`). */
export class GoLiteral {
  constructor(readonly text: string) {}
}

export function goValue(value: unknown): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return goSlice(value);
  if (typeof value === 'object') return goMap(value as Record<string, unknown>);
  return String(value);
}

/** `%q` of a Go string; JSON escaping matches it for the printable ASCII a manifest usually holds. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

function goSlice(items: readonly unknown[]): string {
  const allStrings = items.every((i) => typeof i === 'string');
  const type = allStrings ? '[]string' : '[]interface {}';
  return `${type}{${items.map(goElement).join(', ')}}`;
}

function goMap(map: Record<string, unknown>): string {
  const values = Object.values(map);
  const allStrings = values.every((v) => typeof v === 'string');
  const type = allStrings ? 'map[string]string' : 'map[string]interface {}';
  const keys = Object.keys(map).sort();
  return `${type}{${keys.map((k) => `${goQuote(k)}:${goElement(map[k])}`).join(', ')}}`;
}

function goElement(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? `${value}` : String(value);
  return goValue(value);
}
