/**
 * Envoy's `config.metrics.v3.StatsMatcher` (bootstrap `stats_config.stats_matcher`;
 * envoyproxy/envoy `source/common/stats/stats_matcher_impl.cc`): `reject_all`, or an exclusion list
 * (matching names are rejected), or an inclusion list (only matching names are kept), each a list of
 * string matchers applied to the full stat name. Envoy never creates a rejected stat; Spillway keeps
 * the object (callers hold it) and leaves it out of every admin output, which users cannot tell apart.
 * Unset: every stat is kept (Envoy's default).
 */
import type { StringMatcher } from '../config/route-config.js';
import { compileStringMatcher } from '../router/route-matcher.js';

export type StatsMatcherConfig =
  | { readonly kind: 'reject_all' }
  | { readonly kind: 'exclusion_list'; readonly patterns: readonly StringMatcher[] }
  | { readonly kind: 'inclusion_list'; readonly patterns: readonly StringMatcher[] };

/** A predicate answering "is this stat kept?". */
export function compileStatsMatcher(config: StatsMatcherConfig | undefined): (name: string) => boolean {
  if (config === undefined) return () => true;
  if (config.kind === 'reject_all') return () => false;
  const predicates = config.patterns.map(compileStringMatcher);
  const matches = (name: string): boolean => predicates.some((p) => p(name));
  return config.kind === 'inclusion_list' ? matches : (name) => !matches(name);
}
