/**
 * Translates Envoy's `google_re2` regexes to JavaScript RegExps with the same meaning, and rejects
 * what RE2 would reject (backreferences, lookaround) or what JS cannot express exactly (inline flag
 * groups, `(?U)`). Differences handled: RE2's `.` excludes only `\n` (JS also excludes `\r`,
 * U+2028/9); RE2's `\s` is ASCII `[\t\n\f\r ]`; `\A`/`\z`; `(?P<name>...)`; POSIX classes
 * `[[:alpha:]]`; `\Q...\E`; `\x{10FFFF}`; `\pN`/`\p{Greek}`; a `{` that is not a repetition is a
 * literal. Syntax reference: https://github.com/google/re2/wiki/Syntax.
 *
 * Envoy matches route regexes against the whole string (`RE2::FullMatch`, `source/common/common/
 * regex.cc`), so `fullMatch` regexes are anchored; rewrite regexes (`RE2::GlobalReplace`) are global.
 * Not reproduced: RE2's program-size limit (`re2.max_program_size.error_level`, default 100).
 */

export class Re2TranslationError extends Error {}

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const jsSyntaxChars = new Set('^$\\.*+?()[]{}|/');
const re2Space = '\\t\\n\\f\\r ';
const maxRepeat = 1000;

function codePointEscape(char: string): string {
  return `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;
}

function propertyEscape(negated: boolean, name: string): string {
  let inner = name;
  if (inner.startsWith('^')) {
    negated = !negated;
    inner = inner.slice(1);
  }
  // One- and two-letter names are general categories (L, Lu, Nd); longer ones are scripts.
  const property = inner.length <= 2 || inner === 'Any' ? inner : `Script=${inner}`;
  return `\\${negated ? 'P' : 'p'}{${property}}`;
}

interface Translation {
  source: string;
  flags: string;
}

function translate(pattern: string): Translation {
  let flags = '';
  let i = 0;
  // Leading `(?i)`-style groups set flags for the whole pattern, which JS can express.
  for (let m = /^\(\?([imsU]+)\)/.exec(pattern); m !== null; m = /^\(\?([imsU]+)\)/.exec(pattern.slice(i))) {
    for (const flag of m[1] ?? '') {
      if (flag === 'U') throw new Re2TranslationError('the ungreedy flag (?U) is not supported by Spillway');
      if (!flags.includes(flag)) flags += flag;
    }
    i += m[0].length;
  }
  const dotAll = flags.includes('s');
  let out = '';
  let inClass = false;
  let classStart = false;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const [text, used] = translateEscape(pattern, i, inClass);
      out += text;
      i += used;
      classStart = false;
      continue;
    }
    if (inClass) {
      if (c === ']' && !classStart) {
        inClass = false;
        out += ']';
      } else if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const name = end === -1 ? undefined : pattern.slice(i + 2, end);
        const expansion = name === undefined ? undefined : posixClasses[name];
        if (expansion === undefined)
          throw new Re2TranslationError(`unsupported character class ${pattern.slice(i, end + 2)}`);
        out += expansion;
        i = end + 2;
        classStart = false;
        continue;
      } else if (c === '[' || c === ']') {
        out += `\\${c}`;
      } else {
        out += c;
      }
      classStart = false;
      i += 1;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        classStart = true;
        out += '[';
        if (pattern[i + 1] === '^') {
          out += '^';
          i += 1;
        }
        break;
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        break;
      case '(':
        if (pattern[i + 1] === '?') {
          const rest = pattern.slice(i);
          const named = /^\(\?P?<([A-Za-z_]\w*)>/.exec(rest);
          if (rest.startsWith('(?:')) {
            out += '(?:';
            i += 3;
            continue;
          }
          if (named !== null) {
            out += `(?<${named[1] ?? ''}>`;
            i += named[0].length;
            continue;
          }
          if (/^\(\?(?:[=!]|<[=!])/.test(rest))
            throw new Re2TranslationError('lookahead/lookbehind assertions are not supported by RE2');
          throw new Re2TranslationError(
            'inline flag groups are only supported at the very start of the regex',
          );
        }
        out += '(';
        break;
      case '{': {
        const rep = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (rep === null) {
          out += '\\{';
          break;
        }
        const counts = [rep[1], rep[3]].filter((n): n is string => n !== undefined && n !== '').map(Number);
        if (counts.some((n) => n > maxRepeat))
          throw new Re2TranslationError(
            `bad repetition operator: ${rep[0]} (RE2 allows at most ${maxRepeat})`,
          );
        out += rep[0];
        i += rep[0].length;
        continue;
      }
      case '}':
      case ']':
        out += `\\${c}`;
        break;
      default:
        out += c;
    }
    i += 1;
  }
  if (inClass) throw new Re2TranslationError('missing closing ]');
  return { source: out, flags };
}

/** Translates the escape at `pattern[start]` ('\\'); returns the JS text and the length consumed. */
function translateEscape(pattern: string, start: number, inClass: boolean): [string, number] {
  const c = pattern[start + 1];
  if (c === undefined) throw new Re2TranslationError('trailing \\');
  if (c === 'Q') {
    const end = pattern.indexOf('\\E', start + 2);
    const literal = pattern.slice(start + 2, end === -1 ? undefined : end);
    const escaped = [...literal].map(codePointEscape).join('');
    return [escaped, (end === -1 ? pattern.length : end + 2) - start];
  }
  if (c === 'x' && pattern[start + 2] === '{') {
    const m = /^\\x\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(start));
    if (m === null) throw new Re2TranslationError('invalid \\x{...} escape');
    return [`\\u{${m[1] ?? '0'}}`, m[0].length];
  }
  if (c === 'p' || c === 'P') {
    const braced = /^\\[pP]\{(\^?\w+)\}/.exec(pattern.slice(start));
    if (braced !== null) return [propertyEscape(c === 'P', braced[1] ?? ''), braced[0].length];
    const letter = pattern[start + 2];
    if (letter === undefined || !/[A-Za-z]/.test(letter)) throw new Re2TranslationError('invalid \\p escape');
    return [propertyEscape(c === 'P', letter), 3];
  }
  if (c === '0') {
    const m = /^\\0([0-7]{0,2})/.exec(pattern.slice(start));
    return [`\\u{${parseInt(m?.[1] || '0', 8).toString(16)}}`, m?.[0].length ?? 2];
  }
  if (/[1-9]/.test(c)) throw new Re2TranslationError(`backreferences are not supported by RE2: \\${c}`);
  switch (c) {
    case 'A':
      if (inClass) break;
      return ['(?<![\\s\\S])', 2];
    case 'z':
      if (inClass) break;
      return ['(?![\\s\\S])', 2];
    case 's':
      return [inClass ? re2Space : `[${re2Space}]`, 2];
    case 'S':
      if (inClass) break;
      return [`[^${re2Space}]`, 2];
    case 'b':
    case 'B':
      if (inClass) break;
      return [`\\${c}`, 2];
    case 'a':
      return ['\\x07', 2];
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'f':
    case 't':
    case 'n':
    case 'r':
    case 'v':
      return [`\\${c}`, 2];
    case 'x': {
      const m = /^\\x[0-9A-Fa-f]{2}/.exec(pattern.slice(start));
      if (m === null) throw new Re2TranslationError('invalid \\x escape');
      return [m[0], 4];
    }
    default:
      if (/[^A-Za-z0-9]/.test(c)) {
        // RE2 lets any punctuation be escaped; JS (u mode) only its syntax characters.
        return [jsSyntaxChars.has(c) || (inClass && c === '-') ? `\\${c}` : codePointEscape(c), 2];
      }
  }
  throw new Re2TranslationError(`invalid escape sequence: \\${c}`);
}

/**
 * Compiles an RE2 pattern. `fullMatch`: anchored to the whole input, as route and header matching
 * use it; `global`: for `String.prototype.replace` in rewrites.
 */
export function compileRe2(pattern: string, options: { fullMatch: boolean; global?: boolean }): RegExp {
  const { source, flags } = translate(pattern);
  const anchored = options.fullMatch ? `(?<![\\s\\S])(?:${source})(?![\\s\\S])` : source;
  try {
    return new RegExp(anchored, `${flags}u${options.global === true ? 'g' : ''}`);
  } catch (e) {
    throw new Re2TranslationError(`cannot compile: ${(e as Error).message}`);
  }
}

/**
 * Translates an RE2 rewrite string (`\1` for group 1, `\0` for the whole match, `\\` for a
 * backslash) to a JS replacement string, checking group numbers against the regex.
 */
export function translateRe2Substitution(substitution: string, regex: RegExp): string {
  const groups = (new RegExp(`${regex.source}|`, regex.flags.replace('g', '')).exec('')?.length ?? 1) - 1;
  let out = '';
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i] as string;
    if (c === '$') {
      out += '$$';
    } else if (c === '\\') {
      const next = substitution[i + 1];
      i += 1;
      if (next === '\\') out += '\\';
      else if (next !== undefined && /\d/.test(next)) {
        const n = Number(next);
        if (n > groups)
          throw new Re2TranslationError(
            `substitution refers to group \\${n} but the regex has ${groups} group(s)`,
          );
        out += n === 0 ? '$&' : `$${n}`;
      } else throw new Re2TranslationError(`invalid rewrite pattern: \\${next ?? ''}`);
    } else {
      out += c;
    }
  }
  return out;
}
