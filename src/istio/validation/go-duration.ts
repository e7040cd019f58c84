/**
 * Go duration strings (`time.ParseDuration`, which CEL's `duration()` follows): a sequence of
 * decimal numbers with units `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, e.g. `5m`, `1h30m`, `1.5s`; `0`
 * alone is allowed. Istio's CRDs check durations with `duration(self) >= duration('1ms')`.
 */

const unitNs: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds of a Go duration string, or undefined when malformed. */
export function parseGoDurationNs(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== '') {
    const m = part.exec(s);
    if (m === null) return undefined;
    const number = m[1] ?? '';
    if (number === '' || number === '.') return undefined;
    total += Number(number) * (unitNs[m[2] ?? ''] ?? 0);
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** The CEL rule of Istio's duration fields: well-formed and at least 1ms. */
export function isDurationAtLeast1ms(text: string): boolean {
  const ns = parseGoDurationNs(text);
  return ns !== undefined && ns >= 1e6;
}
