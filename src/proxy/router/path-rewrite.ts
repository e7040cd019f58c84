/**
 * `prefix_rewrite` and `regex_rewrite` of a route action (Envoy `source/common/router/config_impl.cc`,
 * `RouteEntryImplBase::currentUrlPathAfterRewriteWithMatchedPath` and `finalizePathHeader`).
 *
 * prefix_rewrite: the first N characters of `:path` are replaced, where N is the length of what the route
 *   matched: the configured `prefix` / `path` / `path_separated_prefix` value, or for a `safe_regex` route
 *   the whole path without its query. Everything after (rest of the path, `?query`, `#fragment`) is kept
 *   byte for byte. With `case_sensitive: false` the replaced characters are the request's own, so
 *   `/API/v1?x` under prefix `/api` and rewrite `/internal` becomes `/internal/v1?x`.
 *     prefix `/api/` + rewrite `/`   : `/api/users?id=7` -> `/users?id=7`
 *     path_separated_prefix `/api` + rewrite `/v2` : `/api/users` -> `/v2/users`
 *   (A path_separated_prefix never ends in `/`, so rewriting `/api` to `/` turns `/api/users` into
 *   `//users`: the arithmetic is the same as for `prefix`.)
 * regex_rewrite: every non-overlapping match in the path WITHOUT query and fragment is replaced (RE2
 *   `GlobalReplace`), then the original `?query#fragment` is appended again. The substitution uses RE2
 *   syntax: `\1`..`\9` insert capture groups, `\0` the whole match, `\\` a backslash.
 *     pattern `^/service/([^/]+)(/.*)$`, substitution `\2/instance/\1`:
 *     `/service/foo/v1/api?x=1` -> `/v1/api/instance/foo?x=1`
 * Envoy rejects a route with both; if both are present the prefix rewrite is used, as Envoy's code would.
 *
 * `x-envoy-original-path`: whenever a rewrite is configured (even if it leaves the path unchanged) Envoy
 * stores the full original `:path` in it, unless the router has `suppress_envoy_headers`
 * (`Router::Filter` passes `!suppress_envoy_headers_` as `insert_envoy_original_path`).
 */
import type { RouteActionConfig, RouteConfigEntry } from '../config/route-config.js';
import { stripQueryAndFragment } from './route-matcher.js';

export const ENVOY_ORIGINAL_PATH_HEADER = 'x-envoy-original-path';

export interface PathRewriteOptions {
  /** Router filter `suppress_envoy_headers`: when true `x-envoy-original-path` is not set. */
  readonly suppressEnvoyHeaders: boolean;
}

export interface PathRewriteResult {
  /** The `:path` to send upstream. */
  readonly path: string;
  /** The value for `x-envoy-original-path`, or undefined when the header must not be set. */
  readonly originalPath: string | undefined;
}

interface CompiledRegexRewrite {
  readonly regex: RegExp;
  readonly groupCount: number;
  readonly substitution: string;
}

const compiledRewrites = new WeakMap<object, CompiledRegexRewrite>();

function compileRegexRewrite(rewrite: {
  readonly regex: RegExp;
  readonly substitution: string;
}): CompiledRegexRewrite {
  let compiled = compiledRewrites.get(rewrite);
  if (compiled === undefined) {
    const flags = rewrite.regex.flags.replace(/[gy]/g, '');
    // Appending `|` makes the pattern match "" so `exec` reveals how many groups it has.
    const probe = new RegExp(`(?:${rewrite.regex.source})|`, flags).exec('');
    compiled = {
      regex: new RegExp(rewrite.regex.source, `${flags}g`),
      groupCount: probe === null ? 0 : probe.length - 1,
      substitution: rewrite.substitution,
    };
    compiledRewrites.set(rewrite, compiled);
  }
  return compiled;
}

/** Expands an RE2 rewrite string (`\0`-`\9`, `\\`) for one match; other escapes stay literal. */
function expandSubstitution(substitution: string, groups: readonly (string | undefined)[]): string {
  let out = '';
  for (let i = 0; i < substitution.length; i++) {
    const ch = substitution[i] as string;
    const next = substitution[i + 1];
    if (ch === '\\' && next !== undefined) {
      if (next >= '0' && next <= '9') {
        out += groups[Number(next)] ?? '';
        i++;
        continue;
      }
      if (next === '\\') {
        out += '\\';
        i++;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** RE2 `GlobalReplace(input, regex, substitution)` with RE2 substitution syntax. */
export function regexReplaceAll(
  rewrite: { readonly regex: RegExp; readonly substitution: string },
  input: string,
): string {
  const { regex, groupCount, substitution } = compileRegexRewrite(rewrite);
  regex.lastIndex = 0;
  return input.replace(regex, (...args: unknown[]) => {
    const groups = args.slice(0, groupCount + 1) as (string | undefined)[];
    return expandSubstitution(substitution, groups);
  });
}

/** The length of the `:path` part a prefix rewrite replaces (Envoy's `matched_path`). */
function matchedLength(path: string, route: RouteConfigEntry): number {
  const spec = route.match.path;
  return spec.kind === 'safe_regex' ? stripQueryAndFragment(path).length : spec.value.length;
}

/**
 * The rewritten path and the `x-envoy-original-path` value, or undefined when the action has no path
 * rewrite (then neither `:path` nor `x-envoy-original-path` changes).
 */
export function computePathRewrite(
  path: string,
  route: RouteConfigEntry,
  action: RouteActionConfig,
  options: PathRewriteOptions,
): PathRewriteResult | undefined {
  let rewritten: string;
  if (action.prefixRewrite !== undefined && action.prefixRewrite !== '') {
    // Envoy asserts the path still starts with the matched prefix; in release builds it replaces the
    // first N characters regardless, and so do we.
    rewritten = action.prefixRewrite + path.slice(matchedLength(path, route));
  } else if (action.regexRewrite !== undefined) {
    const pathOnly = stripQueryAndFragment(path);
    rewritten = regexReplaceAll(action.regexRewrite, pathOnly) + path.slice(pathOnly.length);
  } else {
    return undefined;
  }
  return { path: rewritten, originalPath: options.suppressEnvoyHeaders ? undefined : path };
}

/** The `:path` to send upstream for `route` (unchanged when it has no rewrite). */
export function rewritePath(path: string, route: RouteConfigEntry, action: RouteActionConfig): string {
  return computePathRewrite(path, route, action, { suppressEnvoyHeaders: true })?.path ?? path;
}
