/**
 * String, header and query-parameter matchers (`type.matcher.v3.StringMatcher`,
 * `config.route.v3.HeaderMatcher`, `config.route.v3.QueryParameterMatcher`).
 */
import { ErrorCode } from '../../core/errors.js';
import type {
  HeaderMatcherConfig,
  QueryParameterMatcherConfig,
  StringMatcher,
} from '../config/route-config.js';
import type { ConfigNode } from './config-node.js';
import { compileRe2, Re2TranslationError } from './re2-regex.js';

/**
 * Compiles `RegexMatcher.regex` (full-match). `google_re2.max_program_size` is deprecated and only
 * bounds RE2's program size, which we cannot measure, so it is accepted and ignored.
 */
export function buildRegex(node: ConfigNode, options: { fullMatch: boolean; global?: boolean }): RegExp {
  node.allowOnly(['regex'], ['google_re2']);
  const pattern = node.string('regex');
  try {
    return compileRe2(pattern, options);
  } catch (e) {
    if (!(e instanceof Re2TranslationError)) throw e;
    throw node.error(
      ErrorCode.configInvalid,
      `invalid regex ${JSON.stringify(pattern)}: ${e.message}`,
      'regex',
    );
  }
}

/** `type.matcher.v3.StringMatcher`: exactly one of exact/prefix/suffix/contains/safe_regex. */
export function buildStringMatcher(node: ConfigNode): StringMatcher {
  node.allowOnly(['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case']);
  const ignoreCase = node.boolean('ignore_case', false);
  const regexNode = node.child('safe_regex');
  if (regexNode !== undefined) {
    // Envoy ignores ignore_case for safe_regex (`StringMatcherImpl`, source/common/common/matchers.h).
    return { kind: 'regex', regex: buildRegex(regexNode, { fullMatch: true }) };
  }
  for (const kind of ['exact', 'prefix', 'suffix', 'contains'] as const) {
    const value = node.optionalString(kind);
    if (value !== undefined) return { kind, value, ignoreCase };
  }
  // Unreachable after schema validation (the oneof is required), kept for direct callers.
  throw node.error(ErrorCode.configInvalid, 'one of exact, prefix, suffix, contains, safe_regex must be set');
}

/**
 * `config.route.v3.HeaderMatcher`. The deprecated `*_match` forms map onto string matchers; with no
 * specifier Envoy matches on presence (`HeaderUtility::HeaderData`, source/common/http/header_utility.cc).
 * Names are lower-cased as Envoy stores them (`LowerCaseString`).
 */
export function buildHeaderMatcher(node: ConfigNode): HeaderMatcherConfig {
  node.allowOnly([
    'name',
    'exact_match',
    'safe_regex_match',
    'range_match',
    'present_match',
    'prefix_match',
    'suffix_match',
    'contains_match',
    'string_match',
    'invert_match',
    'treat_missing_header_as_empty',
  ]);
  const base = {
    name: node.string('name').toLowerCase(),
    invert: node.boolean('invert_match', false),
    treatMissingAsEmpty: node.boolean('treat_missing_header_as_empty', false),
  };
  const stringMatch = node.child('string_match');
  if (stringMatch !== undefined)
    return { ...base, match: { kind: 'string', matcher: buildStringMatcher(stringMatch) } };
  const regexNode = node.child('safe_regex_match');
  if (regexNode !== undefined) {
    return {
      ...base,
      match: {
        kind: 'string',
        matcher: { kind: 'regex', regex: buildRegex(regexNode, { fullMatch: true }) },
      },
    };
  }
  const range = node.child('range_match');
  if (range !== undefined) {
    range.allowOnly(['start', 'end']);
    return {
      ...base,
      match: { kind: 'range', start: range.number('start', 0), end: range.number('end', 0) },
    };
  }
  const legacy = [
    ['exact_match', 'exact'],
    ['prefix_match', 'prefix'],
    ['suffix_match', 'suffix'],
    ['contains_match', 'contains'],
  ] as const;
  for (const [field, kind] of legacy) {
    const value = node.optionalString(field);
    if (value !== undefined)
      return { ...base, match: { kind: 'string', matcher: { kind, value, ignoreCase: false } } };
  }
  return { ...base, match: { kind: 'present', present: node.boolean('present_match', true) } };
}

/**
 * `config.route.v3.QueryParameterMatcher`: `present_match` (whatever its value) and an unset
 * specifier both mean "the parameter is present" (`ConfigUtility::QueryParameterMatcher`,
 * source/common/router/config_utility.cc).
 */
export function buildQueryParameterMatcher(node: ConfigNode): QueryParameterMatcherConfig {
  node.allowOnly(['name', 'string_match', 'present_match']);
  const stringMatch = node.child('string_match');
  return {
    name: node.string('name'),
    match:
      stringMatch === undefined
        ? { kind: 'present' }
        : { kind: 'string', matcher: buildStringMatcher(stringMatch) },
  };
}
