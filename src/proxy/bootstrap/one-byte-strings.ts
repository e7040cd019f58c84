/**
 * Re-creates the strings of a value that crossed from the bootstrap worker (structured clone) so that
 * V8 stores them one byte per character again.
 *
 * V8 keeps a string's representation through structured clone. In the worker, Envoy's `.proto`
 * files (UTF-8 with a few non-ASCII characters) make names such as `envoy` two-byte strings in the
 * isolate's string table, so even literals like the default `server_name` resolve to two-byte
 * strings there and arrive two-byte in the serving process. A response head concatenated with one
 * two-byte piece is two-byte as a whole, and every socket write then converts it back to latin1
 * (`String::WriteToFlat<uint16_t>` in the profile). Strings with characters above U+00FF are kept.
 */
function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

function oneByte(text: string): string {
  if (text.length === 0 || !isLatin1(text)) return text;
  return Buffer.from(text, 'latin1').toString('latin1');
}

/** Returns `value` with every string (in plain objects, arrays, Maps and Sets) re-created. */
export function withOneByteStrings<T>(value: T): T {
  return convert(value) as T;
}

function convert(value: unknown): unknown {
  if (typeof value === 'string') return oneByte(value);
  if (typeof value !== 'object' || value === null || value instanceof RegExp) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = convert(value[i]);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value.entries()];
    value.clear();
    for (const [k, v] of entries) value.set(convert(k), convert(v));
    return value;
  }
  if (value instanceof Set) {
    const items = [...value];
    value.clear();
    for (const item of items) value.add(convert(item));
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = convert(record[key]);
  return value;
}
