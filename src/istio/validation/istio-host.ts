/**
 * Istio's host and port checks (`istio/istio` `pkg/config/validation/agent`: `ValidateWildcardDomain`,
 * `ValidateFQDN`, `ValidatePort`; `pkg/config/labels.IsWildcardDNS1123Label`, `IsDNS1123Label`).
 * Each returns the error text or undefined.
 */

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const wildcardLabel = /^(\*|(\*|\*-)?[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

/** `labels.IsDNS1123Label`: at most 63 characters of `[a-z0-9-]`, alphanumeric at both ends. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && dns1123Label.test(value);
}

function preconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name ${JSON.stringify(name)} too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

function labelsError(domain: string): string | undefined {
  const parts = domain.split('.');
  const top = parts[parts.length - 1] ?? '';
  if (/^[+-]?[0-9]+$/.test(top))
    return `domain name ${JSON.stringify(domain)} invalid (top level domain ${JSON.stringify(top)} cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] ?? '';
    // A trailing dot (`istio.io.`) is allowed.
    if (i === parts.length - 1 && label === '') return undefined;
    if (label.length > 63 || !dns1123Label.test(label))
      return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(label)} invalid)`;
  }
  return undefined;
}

export function wildcardDomainError(domain: string): string | undefined {
  const pre = preconditions(domain);
  if (pre !== undefined) return pre;
  const dot = domain.indexOf('.');
  const first = dot === -1 ? domain : domain.slice(0, dot);
  if (first.length > 63 || !wildcardLabel.test(first))
    return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(first)} invalid)`;
  return dot === -1 ? undefined : labelsError(domain.slice(dot + 1));
}

export function fqdnError(fqdn: string): string | undefined {
  return preconditions(fqdn) ?? labelsError(fqdn);
}

export function portError(port: number): string | undefined {
  return port >= 1 && port <= 65535 ? undefined : `port number ${port} must be in the range 1..65535`;
}

/** `ValidateNamespaceSlashWildcardHostname` for Gateway and Sidecar hosts: `[namespace/]host`. */
export function namespacedHostError(hostname: string, isGateway: boolean): string[] {
  const slash = hostname.indexOf('/');
  if (slash === -1) {
    // Gateways still accept the old style without a namespace.
    if (isGateway) return optional(wildcardDomainError(hostname));
    return ['host must be of form namespace/dnsName'];
  }
  const ns = hostname.slice(0, slash);
  const host = hostname.slice(slash + 1);
  const errs: string[] = [];
  if (ns === '' || host === '') errs.push('config namespace and dnsName in host entry cannot be empty');
  const allowed = isGateway ? ['*', '.'] : ['*', '.', '~'];
  if (!allowed.includes(ns) && !(ns.length <= 63 && dns1123Label.test(ns)))
    errs.push(`invalid namespace value ${JSON.stringify(ns)} in ${isGateway ? 'gateway' : 'sidecar'}`);
  errs.push(...optional(wildcardDomainError(host)));
  return errs;
}

function optional(error: string | undefined): string[] {
  return error === undefined ? [] : [error];
}
