/**
 * `%START_TIME(format)%`: a strftime-like format in UTC plus Envoy's sub-second specifiers.
 *
 * Envoy `source/common/common/utility.cc` (`DateFormatter::parse`, `subsecondsToString`) splits the
 * format at `%s` (epoch seconds), `%f`/`%[1-9]f`/`%*f` (fraction of the second, 9 digits by default) and
 * absl's `%E[1-9*]S` / `%E[1-9*]f`; everything else goes to `absl::FormatTime`, i.e. strftime in the C
 * locale. Without a format it prints `AccessLogDateTimeFormatter::fromTime`: `2026-01-01T00:00:00.000Z`.
 *
 * Worked example (wall time 1522796769123 ms): `%Y/%m/%dT%H:%M:%S%z %s.%3f` gives
 * `2018/04/03T23:06:09+0000 1522796769.123`; `%6f` gives `123000`, `%*f` gives `123`, `%E3S` gives `09.123`.
 */
import { ConfigError, ErrorCode } from '../../core/errors.js';

export type TimeFormatter = (wallMs: number) => string;

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Envoy `getSystemTimeFormatNewlinePattern`: a format that could print a newline is rejected. */
const newlineSpecifier = /%[-_0^#]*[1-9]*(E|O)?n/;

interface TimeParts {
  readonly date: Date;
  readonly epochSeconds: number;
  /** The fraction of the second as 9 digits (nanoseconds). */
  readonly nanos: string;
}

type Piece = string | ((parts: TimeParts) => string);

function pad(value: number, width: number, fill = '0'): string {
  return String(value).padStart(width, fill);
}

/** Sub-second digits; `width` undefined = Envoy's dynamic width (`*`): trailing zeros dropped. */
function fraction(nanos: string, width: number | undefined, isAtLeastOneDigit: boolean): string {
  let digits = width;
  if (digits === undefined) {
    const last = nanos.search(/0*$/);
    digits = last;
  }
  if (isAtLeastOneDigit) digits = Math.max(digits, 1);
  return nanos.slice(0, digits);
}

function widthOf(c: string): number | undefined {
  return c === '*' ? undefined : Number(c);
}

function hour12(d: Date): number {
  const h = d.getUTCHours() % 12;
  return h === 0 ? 12 : h;
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** strftime conversions in the C locale and UTC (what absl::FormatTime delegates to). */
function strftimeField(spec: string): ((p: TimeParts) => string) | undefined {
  switch (spec) {
    case 'a':
      return ({ date }) => (weekdays[date.getUTCDay()] as string).slice(0, 3);
    case 'A':
      return ({ date }) => weekdays[date.getUTCDay()] as string;
    case 'b':
    case 'h':
      return ({ date }) => (months[date.getUTCMonth()] as string).slice(0, 3);
    case 'B':
      return ({ date }) => months[date.getUTCMonth()] as string;
    case 'C':
      return ({ date }) => pad(Math.floor(date.getUTCFullYear() / 100), 2);
    case 'd':
      return ({ date }) => pad(date.getUTCDate(), 2);
    case 'e':
      return ({ date }) => pad(date.getUTCDate(), 2, ' ');
    case 'H':
      return ({ date }) => pad(date.getUTCHours(), 2);
    case 'I':
      return ({ date }) => pad(hour12(date), 2);
    case 'j':
      return ({ date }) => pad(dayOfYear(date), 3);
    case 'k':
      return ({ date }) => pad(date.getUTCHours(), 2, ' ');
    case 'l':
      return ({ date }) => pad(hour12(date), 2, ' ');
    case 'm':
      return ({ date }) => pad(date.getUTCMonth() + 1, 2);
    case 'M':
      return ({ date }) => pad(date.getUTCMinutes(), 2);
    case 'p':
      return ({ date }) => (date.getUTCHours() < 12 ? 'AM' : 'PM');
    case 'P':
      return ({ date }) => (date.getUTCHours() < 12 ? 'am' : 'pm');
    case 'S':
      return ({ date }) => pad(date.getUTCSeconds(), 2);
    case 't':
      return () => '\t';
    case 'u':
      return ({ date }) => String(date.getUTCDay() === 0 ? 7 : date.getUTCDay());
    case 'w':
      return ({ date }) => String(date.getUTCDay());
    case 'y':
      return ({ date }) => pad(date.getUTCFullYear() % 100, 2);
    case 'Y':
      return ({ date }) => String(date.getUTCFullYear());
    case 'z':
      return () => '+0000';
    case 'Z':
      return () => 'UTC';
    default:
      return undefined;
  }
}

/** Composite strftime conversions, expanded before compiling. */
const composites: Readonly<Record<string, string>> = {
  c: '%a %b %e %H:%M:%S %Y',
  D: '%m/%d/%y',
  F: '%Y-%m-%d',
  r: '%I:%M:%S %p',
  R: '%H:%M',
  T: '%H:%M:%S',
  x: '%m/%d/%y',
  X: '%H:%M:%S',
};

function compilePieces(format: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') pieces.push(literal);
    literal = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string;
    if (c !== '%' || i + 1 >= format.length) {
      literal += c;
      continue;
    }
    const rest = format.slice(i + 1);
    let m: RegExpExecArray | null;
    if (rest.startsWith('%')) {
      literal += '%';
      i += 1;
    } else if (rest.startsWith('s')) {
      flush();
      pieces.push(({ epochSeconds }) => String(epochSeconds));
      i += 1;
    } else if ((m = /^([1-9*]?)f/.exec(rest)) !== null) {
      flush();
      const width = m[1] === '' ? 9 : widthOf(m[1] as string);
      pieces.push(({ nanos }) => fraction(nanos, width, true));
      i += m[0].length;
    } else if ((m = /^E([1-9*])([Sf])/.exec(rest)) !== null) {
      flush();
      const width = widthOf(m[1] as string);
      if (m[2] === 'S') {
        // absl `%E#S`: seconds, then `.` and the digits; `%E*S` drops the dot when the fraction is 0.
        pieces.push(({ date, nanos }) => {
          const digits = fraction(nanos, width, false);
          return pad(date.getUTCSeconds(), 2) + (digits === '' ? '' : `.${digits}`);
        });
      } else {
        pieces.push(({ nanos }) => fraction(nanos, width, true));
      }
      i += m[0].length;
    } else if (rest.startsWith('Ez') || rest.startsWith('E*z') || rest.startsWith('E4Y')) {
      flush();
      const spec = rest.startsWith('Ez') ? 'Ez' : rest.startsWith('E*z') ? 'E*z' : 'E4Y';
      pieces.push(
        spec === 'Ez'
          ? () => '+00:00'
          : spec === 'E*z'
            ? () => '+00:00:00'
            : ({ date }) => pad(date.getUTCFullYear(), 4),
      );
      i += spec.length;
    } else {
      const spec = rest[0] as string;
      const composite = composites[spec];
      const field = strftimeField(spec);
      if (composite !== undefined) {
        flush();
        pieces.push(...compilePieces(composite));
      } else if (field !== undefined) {
        flush();
        pieces.push(field);
      } else {
        // Unknown conversions are copied through, as glibc's strftime does.
        literal += `%${spec}`;
      }
      i += 1;
    }
  }
  flush();
  return pieces;
}

/** Envoy `AccessLogDateTimeFormatter::fromTime`: ISO 8601 with milliseconds, always UTC. */
export function formatDefaultStartTime(wallMs: number): string {
  const d = new Date(Math.floor(wallMs));
  const millis = Math.floor(wallMs) - Math.floor(wallMs / 1000) * 1000;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(millis, 3)}Z`
  );
}

/** Compiles a START_TIME format once; `path` names the config field in errors. */
export function compileTimeFormat(format: string, path = 'format'): TimeFormatter {
  if (newlineSpecifier.test(format)) {
    throw new ConfigError(
      ErrorCode.configInvalid,
      { path },
      `START_TIME format "${format}" could print a newline (Envoy rejects %n)`,
    );
  }
  if (format === '') return formatDefaultStartTime;
  const pieces = compilePieces(format);
  return (wallMs: number): string => {
    const epochSeconds = Math.floor(wallMs / 1000);
    const nanosValue = Math.min(Math.round((wallMs - epochSeconds * 1000) * 1e6), 999_999_999);
    const parts: TimeParts = {
      date: new Date(wallMs),
      epochSeconds,
      nanos: String(nanosValue).padStart(9, '0'),
    };
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(parts);
    return out;
  };
}
