/**
 * Envoy cluster names as Istio builds them (istio/istio `pilot/pkg/model/service.go` BuildSubsetKey,
 * BuildInboundSubsetKey, ParseSubsetKey).
 */

/** `outbound|<port>|<subset>|<fqdn>`. */
export function outboundClusterName(hostname: string, port: number, subset = ''): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

/** `inbound|<port>||`. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export interface ParsedClusterName {
  readonly direction: string;
  readonly port: number;
  readonly subset: string;
  readonly hostname: string;
}

/** Undefined when the name is not `direction|port|subset|host` with a numeric port. */
export function parseClusterName(name: string): ParsedClusterName | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction = '', portText = '', subset = '', hostname = ''] = parts;
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  return { direction, port, subset, hostname };
}

/** Istio's stat name delimiter: `alt_stat_name` and HCM `stat_prefix` end with ';' (`util.DelimitedStatsPrefix`). */
export function delimitedStatPrefix(prefix: string): string {
  return `${prefix};`;
}
