/**
 * Durations as users write them. Envoy's YAML/JSON uses the protobuf JSON form of
 * `google.protobuf.Duration` ("1.5s", "0.001s", or `{seconds, nanos}`); Istio uses Go's
 * `time.ParseDuration` form ("5m", "1h30m", "250ms"). Both parse to milliseconds.
 */

const protoDurationPattern = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Parses the protobuf JSON form ("30s", "0.25s"). Returns undefined if the text is not of that form. */
export function parseProtoDurationMs(text: string): number | undefined {
  const m = protoDurationPattern.exec(text);
  if (m === null) return undefined;
  const seconds = Number(m[2]);
  const fraction = m[3] === undefined ? 0 : Number(`0.${m[3]}`);
  const ms = (seconds + fraction) * 1000;
  return m[1] === '-' ? -ms : ms;
}

const goUnitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses Go's duration syntax ("1h30m", "250ms", "1.5s"). Returns undefined if malformed. */
export function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed: number;
  let sign = 1;
  let body = text;
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  if (body === '') return undefined;
  re.lastIndex = 0;
  for (;;) {
    const start = re.lastIndex;
    const m = re.exec(body);
    if (m === null) {
      consumed = start;
      break;
    }
    total += Number(m[1]) * (goUnitMs[m[2] as string] as number);
  }
  return consumed === body.length ? sign * total : undefined;
}

/** Formats milliseconds as the protobuf JSON duration form ("1.500s" style trimmed: "1.5s"). */
export function formatProtoDuration(ms: number): string {
  const seconds = ms / 1000;
  const text = Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(9).replace(/0+$/, '');
  return `${text}s`;
}
