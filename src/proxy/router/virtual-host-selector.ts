/**
 * Virtual host selection by the request's `:authority` (Envoy `RouteMatcher::findVirtualHost`).
 *
 * Search order, exactly as Envoy (`source/common/router/config_impl.cc`, `RouteMatcher::RouteMatcher`,
 * `findVirtualHost`, `findWildcardVirtualHost`):
 *   1. exact domain (`www.foo.com`),
 *   2. suffix wildcards (`*.foo.com`, `*-bar.foo.com`), longest first,
 *   3. prefix wildcards (`foo.*`, `foo-*`), longest first,
 *   4. the single `*` virtual host.
 * Domains are lower-cased when the table is built and the host is lower-cased per request (ASCII only,
 * like `absl::AsciiStrToLower`). A wildcard never matches an empty remainder: `*.foo.com` does not match
 * `.foo.com` because Envoy skips wildcard lengths `>=` the host length.
 *
 * Ports: by default the port is part of the compared string, in the host and in the domains alike
 * (`foo.com:8080` matches only a `foo.com:8080` domain, a wildcard that covers it, or `*`). Envoy does
 * NOT retry without the port when nothing matches. Two switches change this:
 *   - `RouteConfiguration.ignore_port_in_host_matching` (here `ignorePortInHostMatching`): the port is
 *     cut from the host before the lookup (domains are left as configured);
 *   - the HCM's `strip_trailing_host_dot`, `strip_matching_host_port` and `strip_any_host_port`, which
 *     rewrite the `:authority` header itself before routing: see `normalizeHost`.
 *
 * Worked example: domains `api.foo.com`, `*.foo.com`, `*-v2.foo.com`, `api.*`, `*`.
 *   `api.foo.com`     -> exact `api.foo.com`
 *   `web-v2.foo.com`  -> suffix `-v2.foo.com` (length 11) beats `.foo.com` (length 8)
 *   `api.bar.org`     -> prefix `api.`
 *   `api.foo.com:443` -> no exact or suffix domain ends in `:443`; prefix `api.` matches -> `api.*`
 *   `other.org`       -> `*`
 */
import type { RouteConfiguration, VirtualHostConfig } from '../config/route-config.js';
import { asciiLowerCase } from './route-matcher.js';

export interface VirtualHostSelectOptions {
  /** `RouteConfiguration.ignore_port_in_host_matching` (default false). */
  readonly ignorePortInHostMatching?: boolean;
}

/** Wildcards of one length, keyed by the literal part (`.foo.com` for `*.foo.com`, `foo.` for `foo.*`). */
interface WildcardBucket {
  readonly length: number;
  readonly byLiteral: Map<string, VirtualHostConfig>;
}

/** The per-configuration lookup structure, built once per `RouteConfiguration` object. */
export class VirtualHostTable {
  private readonly exact = new Map<string, VirtualHostConfig>();
  /** Longest literal first, as Envoy's `std::map<int64_t, ..., std::greater<>>`. */
  private readonly suffixes: WildcardBucket[];
  private readonly prefixes: WildcardBucket[];
  private readonly fallback: VirtualHostConfig | undefined;

  constructor(config: RouteConfiguration) {
    const suffixes = new Map<number, Map<string, VirtualHostConfig>>();
    const prefixes = new Map<number, Map<string, VirtualHostConfig>>();
    let fallback: VirtualHostConfig | undefined;
    // Envoy rejects duplicate domains and a second `*` at load time; the config loader owns that
    // check, so here the first definition simply wins.
    for (const vhost of config.virtualHosts) {
      for (const rawDomain of vhost.domains) {
        const domain = asciiLowerCase(rawDomain);
        if (domain === '*') {
          fallback ??= vhost;
        } else if (domain.startsWith('*')) {
          addOnce(bucketFor(suffixes, domain.length - 1), domain.slice(1), vhost);
        } else if (domain.endsWith('*')) {
          addOnce(bucketFor(prefixes, domain.length - 1), domain.slice(0, -1), vhost);
        } else {
          addOnce(this.exact, domain, vhost);
        }
      }
    }
    this.suffixes = sortedBuckets(suffixes);
    this.prefixes = sortedBuckets(prefixes);
    this.fallback = fallback;
  }

  /** The virtual host for `authority`, or undefined (Envoy then replies 404 `route_not_found`). */
  select(
    authority: string | undefined,
    options: VirtualHostSelectOptions = {},
  ): VirtualHostConfig | undefined {
    // Envoy's fast path: with only a `*` virtual host (or none at all) the host is not even read.
    if (this.exact.size === 0 && this.suffixes.length === 0 && this.prefixes.length === 0) {
      return this.fallback;
    }
    if (authority === undefined) return undefined;
    let host = authority;
    if (options.ignorePortInHostMatching === true) {
      const portStart = hostPortStart(host);
      if (portStart !== -1) host = host.slice(0, portStart);
    }
    host = asciiLowerCase(host);
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    for (const bucket of this.suffixes) {
      // `>=`: the wildcard must stand for at least one character.
      if (bucket.length >= host.length) continue;
      const hit = bucket.byLiteral.get(host.slice(host.length - bucket.length));
      if (hit !== undefined) return hit;
    }
    for (const bucket of this.prefixes) {
      if (bucket.length >= host.length) continue;
      const hit = bucket.byLiteral.get(host.slice(0, bucket.length));
      if (hit !== undefined) return hit;
    }
    return this.fallback;
  }
}

function bucketFor(
  buckets: Map<number, Map<string, VirtualHostConfig>>,
  length: number,
): Map<string, VirtualHostConfig> {
  let bucket = buckets.get(length);
  if (bucket === undefined) {
    bucket = new Map();
    buckets.set(length, bucket);
  }
  return bucket;
}

function addOnce(map: Map<string, VirtualHostConfig>, key: string, vhost: VirtualHostConfig): void {
  if (!map.has(key)) map.set(key, vhost);
}

function sortedBuckets(buckets: Map<number, Map<string, VirtualHostConfig>>): WildcardBucket[] {
  return [...buckets.entries()]
    .map(([length, byLiteral]) => ({ length, byLiteral }))
    .sort((a, b) => b.length - a.length);
}

const tables = new WeakMap<RouteConfiguration, VirtualHostTable>();

/** The compiled table for `config` (built on first use, then cached for the config object's lifetime). */
export function virtualHostTableFor(config: RouteConfiguration): VirtualHostTable {
  let table = tables.get(config);
  if (table === undefined) {
    table = new VirtualHostTable(config);
    tables.set(config, table);
  }
  return table;
}

/** Envoy's virtual host choice for a request with this `:authority` (see the file comment). */
export function selectVirtualHost(
  config: RouteConfiguration,
  authority: string | undefined,
  options: VirtualHostSelectOptions = {},
): VirtualHostConfig | undefined {
  return virtualHostTableFor(config).select(authority, options);
}

/**
 * Index of the `:` that starts the port in a host, or -1. Envoy `HeaderUtility::getPortStart`: the last
 * `:` counts only if no `]` follows it, so `[::1]` has no port and `[::1]:80` has one; an unbracketed
 * IPv6 literal (`::1`) is taken as host `:` + port `1`, exactly as Envoy does.
 */
export function hostPortStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon === -1) return -1;
  const v6End = host.lastIndexOf(']');
  return v6End === -1 || v6End < colon ? colon : -1;
}

/** HCM `strip_*_host_port` choice: `none` (default), `matching` (`strip_matching_host_port`), `any`. */
export type HostPortStripMode = 'none' | 'matching' | 'any';

export interface HostNormalizationOptions {
  /** HCM `strip_trailing_host_dot` (default false). */
  readonly stripTrailingHostDot?: boolean;
  readonly stripPort?: HostPortStripMode;
  /** The listener's local port, needed by `matching`. */
  readonly listenerPort?: number;
}

export interface NormalizedHost {
  readonly authority: string;
  /** The port that was removed (Envoy keeps it to restore CONNECT authorities), if any. */
  readonly strippedPort: number | undefined;
}

/**
 * The `:authority` the HCM routes on (Envoy `ConnectionManagerUtility::maybeNormalizeHost`): first the
 * trailing dot (`HeaderUtility::stripTrailingHostDot`, also before a port: `foo.com.:80` ->
 * `foo.com:80`), then the port (`HeaderUtility::stripPortFromHost`: only a numeric port that fits 32 bits,
 * and under `matching` only when it equals the listener port).
 */
export function normalizeHost(authority: string, options: HostNormalizationOptions = {}): NormalizedHost {
  let host = authority;
  if (options.stripTrailingHostDot === true) host = stripTrailingHostDot(host);
  const mode = options.stripPort ?? 'none';
  if (mode === 'none') return { authority: host, strippedPort: undefined };
  const portStart = hostPortStart(host);
  if (portStart === -1) return { authority: host, strippedPort: undefined };
  const port = parseUint32(host.slice(portStart + 1));
  if (port === undefined) return { authority: host, strippedPort: undefined };
  if (mode === 'matching' && port !== options.listenerPort)
    return { authority: host, strippedPort: undefined };
  return { authority: host.slice(0, portStart), strippedPort: port };
}

function stripTrailingHostDot(host: string): string {
  const dot = host.lastIndexOf('.');
  if (dot === -1) return host;
  if (dot === host.length - 1) return host.slice(0, -1);
  // A dot directly before a colon precedes the port; in IPv6 literals a dot never precedes a colon.
  if (host[dot + 1] === ':') return host.slice(0, dot) + host.slice(dot + 1);
  return host;
}

/** `absl::SimpleAtoi` into a uint32: optional surrounding ASCII whitespace and `+`, decimal digits. */
function parseUint32(text: string): number | undefined {
  const match = /^[ \t\n\v\f\r]*\+?([0-9]+)[ \t\n\v\f\r]*$/.exec(text);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value <= 0xffff_ffff ? value : undefined;
}
