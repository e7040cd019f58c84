/**
 * The protobuf JSON forms of the well-known types Envoy configs use: `Duration` ("1.5s", or the
 * `{seconds, nanos}` object form), `Timestamp` (RFC 3339) and `Struct`/`Value` (any JSON).
 * See https://protobuf.dev/programming-guides/json/ for the mapping.
 */

/** Reports a problem with the value being converted; never returns. */
export type Fail = (code: string, problem: string) => never;

/** Largest |seconds| a `google.protobuf.Duration` may hold (10,000 years). */
const maxDurationSeconds = 315_576_000_000n;
const nanosPerSecond = 1_000_000_000n;
const durationText = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Parses a duration to signed nanoseconds. `wrongType` and `outOfRange` are the error codes to use.
 * Accepts "30s", "0.25s", "-1s", and `{seconds: 1, nanos: 500000000}` (as Envoy's YAML loader does).
 */
export function parseDurationNanos(
  value: unknown,
  fail: Fail,
  codes: { wrongType: string; outOfRange: string },
): bigint {
  let total: bigint;
  if (typeof value === 'string') {
    const m = durationText.exec(value);
    if (m === null) {
      fail(
        codes.wrongType,
        `expected a duration such as "1.5s" (protobuf JSON form), got ${JSON.stringify(value)}`,
      );
    }
    const seconds = BigInt(m[2] ?? '0');
    const nanos = BigInt((m[3] ?? '').padEnd(9, '0') || '0');
    total = seconds * nanosPerSecond + nanos;
    if (m[1] === '-') total = -total;
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key !== 'seconds' && key !== 'nanos')
        fail(codes.wrongType, `unknown field "${key}" in a duration object`);
    }
    const seconds = integerOf(record['seconds'] ?? 0);
    const nanos = integerOf(record['nanos'] ?? 0);
    if (seconds === undefined || nanos === undefined) {
      fail(codes.wrongType, 'duration seconds and nanos must be integers');
    }
    if (
      nanos <= -nanosPerSecond ||
      nanos >= nanosPerSecond ||
      (seconds > 0n && nanos < 0n) ||
      (seconds < 0n && nanos > 0n)
    ) {
      fail(codes.outOfRange, 'duration nanos must be within (-1e9, 1e9) and have the sign of seconds');
    }
    total = seconds * nanosPerSecond + nanos;
  } else {
    fail(codes.wrongType, `expected a duration such as "1.5s", got ${describeJson(value)}`);
  }
  const absolute = total < 0n ? -total : total;
  if (absolute / nanosPerSecond > maxDurationSeconds) {
    fail(codes.outOfRange, 'duration is out of range (more than 10,000 years)');
  }
  return total;
}

function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** The canonical JSON text of a duration: "5s", "0.250s" trimmed to "0.25s", "-1.5s". */
export function formatDurationNanos(total: bigint): string {
  const negative = total < 0n;
  const absolute = negative ? -total : total;
  const seconds = absolute / nanosPerSecond;
  const nanos = absolute % nanosPerSecond;
  const fraction = nanos === 0n ? '' : `.${nanos.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${negative ? '-' : ''}${seconds}${fraction}s`;
}

/** Nanoseconds of a normalized duration text (as produced by the validator). */
export function durationTextToNanos(text: string): bigint {
  const m = durationText.exec(text);
  if (m === null) throw new Error(`not a normalized duration: ${text}`);
  const total = BigInt(m[2] ?? '0') * nanosPerSecond + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return m[1] === '-' ? -total : total;
}

/**
 * Milliseconds of a normalized duration, truncated as Envoy's `DurationUtil::durationToMilliseconds`
 * does (`source/common/protobuf/utility.cc`): 1.9999 ms is 1 ms.
 */
export function durationTextToMs(text: string): number {
  return Number(durationTextToNanos(text) / 1_000_000n);
}

/** A PGV duration rule value (`{seconds, nanos}`, either omitted meaning 0) in nanoseconds. */
export function durationRuleNanos(rule: unknown): bigint {
  if (typeof rule !== 'object' || rule === null) return 0n;
  const record = rule as Record<string, unknown>;
  const seconds = integerOf(record['seconds'] ?? 0) ?? 0n;
  const nanos = integerOf(record['nanos'] ?? 0) ?? 0n;
  return seconds * nanosPerSecond + nanos;
}

const timestampText = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Checks an RFC 3339 timestamp string (the JSON form of `google.protobuf.Timestamp`). */
export function checkTimestamp(value: unknown, fail: Fail, wrongType: string): string {
  if (typeof value !== 'string' || !timestampText.test(value) || Number.isNaN(Date.parse(value))) {
    fail(
      wrongType,
      `expected an RFC 3339 timestamp such as "2024-01-01T00:00:00Z", got ${describeJson(value)}`,
    );
  }
  return value;
}

/** A deep copy of plain JSON (what `Struct`/`Value` hold); rejects what JSON cannot carry. */
export function copyJsonValue(value: unknown, fail: Fail, wrongType: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(wrongType, 'JSON numbers must be finite');
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => copyJsonValue(item, fail, wrongType));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) setOwn(copy, key, copyJsonValue(item, fail, wrongType));
    return copy;
  }
  return fail(wrongType, `expected JSON, got ${describeJson(value)}`);
}

/** A short description of a JSON value's kind for error messages. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return typeof value;
}

/** Sets an own property even for keys such as `__proto__`, which plain assignment would not. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
