/**
 * Character classes of HTTP/1.1 heads as lookup tables (RFC 9110 §5.6.2 `tchar`, §5.5 field values),
 * so the parser checks one byte with one array read instead of a regular expression.
 */

/** 1 for `tchar` (token characters: method and header names). */
export const isTokenChar = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) isTokenChar[c] = 1;
for (const c of '"(),/:;<=>?@[\\]{}') isTokenChar[c.charCodeAt(0)] = 0;

/**
 * 1 for bytes allowed in a field value: visible ASCII, SP, HTAB and obs-text. Envoy rejects values
 * with NUL, CR or LF (`HeaderUtility::headerValueIsValid`, codec_impl.cc `onHeaderValueImpl` ->
 * `http1.invalid_characters`); its parsers also refuse the other control characters, as do we.
 */
export const isFieldValueChar = new Uint8Array(256);
for (let c = 0x20; c < 0x100; c++) isFieldValueChar[c] = c === 0x7f ? 0 : 1;
isFieldValueChar[0x09] = 1;

/** 1 for bytes allowed in a request-target: anything visible (no SP, no controls, no DEL). */
export const isTargetChar = new Uint8Array(256);
for (let c = 0x21; c < 0x100; c++) isTargetChar[c] = c === 0x7f ? 0 : 1;

/** Hex digit value, or -1. */
export const hexValue = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) hexValue[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  hexValue[0x41 + i] = 10 + i;
  hexValue[0x61 + i] = 10 + i;
}

/** ASCII lower-casing of a header name that is already known to be a token (fast path: no upper case). */
export function lowerToken(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}

/** Case-insensitive ASCII equality against a lower-case literal. */
export function equalsLower(value: string, lowerLiteral: string): boolean {
  if (value.length !== lowerLiteral.length) return false;
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lowerLiteral.charCodeAt(i)) return false;
  }
  return true;
}

/** True when the comma-separated list `value` contains `lowerToken` (case-insensitive, OWS trimmed). */
export function hasListToken(value: string, lowerTokenLiteral: string): boolean {
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(',', start);
    if (end < 0) end = value.length;
    let a = start;
    let b = end;
    while (a < b && (value.charCodeAt(a) === 0x20 || value.charCodeAt(a) === 0x09)) a++;
    while (b > a && (value.charCodeAt(b - 1) === 0x20 || value.charCodeAt(b - 1) === 0x09)) b--;
    if (b - a === lowerTokenLiteral.length && equalsLower(value.slice(a, b), lowerTokenLiteral)) return true;
    start = end + 1;
  }
  return false;
}
