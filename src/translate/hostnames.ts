/**
 * Hostname rules of Istio config: short names resolved against the resource's namespace
 * (istio/istio `pilot/pkg/model/config.go` ResolveShortnameToFQDN), wildcard matching
 * (`pkg/config/host/name.go` Name.Matches) and the most specific match among rules
 * (`pilot/pkg/model/push_context.go` MostSpecificHostMatch).
 */

/**
 * `mockb` in namespace `default` -> `mockb.default.svc.cluster.local`. Names containing a dot, `*`
 * and IP literals are left as written (Istio does not expand `mockb.default`).
 */
export function resolveShortname(hostname: string, namespace: string, domainSuffix: string): string {
  if (hostname === '' || hostname === '*' || hostname.includes('.') || isIpLiteral(hostname))
    return hostname.toLowerCase();
  return `${hostname}.${namespace}.svc.${domainSuffix}`.toLowerCase();
}

export function isIpLiteral(text: string): boolean {
  return isIpv4(text) || (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text));
}

export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return (
    parts.length === 4 &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && (p === '0' || !p.startsWith('0')))
  );
}

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*');
}

/** Istio's symmetric `Name.Matches`: either side may be a wildcard (`*` matches everything). */
export function hostsMatch(a: string, b: string): boolean {
  const aWild = isWildcard(a);
  const bWild = isWildcard(b);
  if (aWild && bWild) {
    return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  }
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * The rule host that applies to `hostname`: an exact match first, else the longest wildcard that
 * matches it (MostSpecificHostMatch).
 */
export function mostSpecificHost(hostname: string, ruleHosts: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const rule of ruleHosts) {
    if (rule === hostname) return rule;
    if (isWildcard(rule) && hostsMatch(rule, hostname) && (best === undefined || rule.length > best.length))
      best = rule;
  }
  return best;
}

/**
 * `exportTo` visibility (istio/istio `pkg/config/visibility`): empty or `*` is public, `.` is the
 * owner's namespace, `~` is nobody, anything else names a namespace.
 */
export function isVisibleTo(
  exportTo: readonly string[] | undefined,
  ownerNamespace: string,
  clientNamespace: string,
): boolean {
  if (exportTo === undefined || exportTo.length === 0) return true;
  for (const entry of exportTo) {
    if (entry === '*') return true;
    if (entry === '.' && ownerNamespace === clientNamespace) return true;
    if (entry === clientNamespace) return true;
  }
  return false;
}

/** `host:port` (istio `util.DomainName`). */
export function domainName(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}
