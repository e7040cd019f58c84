/**
 * Istio's protocol of a service port (istio/istio `pkg/config/kube/conversion.go` ConvertProtocol,
 * `pkg/config/protocol/instance.go`): `appProtocol` wins over the port name; the name's prefix
 * before the first `-` is parsed case-insensitively (`grpc-web` is checked first because it has a
 * hyphen); well-known non-HTTP ports default to TCP; anything else is "Unsupported", i.e. sniffed.
 */
import type { ServicePort } from '../registry/mesh-model.js';

export type IstioProtocol =
  | 'HTTP'
  | 'HTTP2'
  | 'HTTP_PROXY'
  | 'GRPC'
  | 'GRPC-Web'
  | 'HTTPS'
  | 'TCP'
  | 'TLS'
  | 'UDP'
  | 'Mongo'
  | 'Redis'
  | 'MySQL'
  | 'Unsupported';

const byLowerName: Readonly<Record<string, IstioProtocol>> = {
  tcp: 'TCP',
  udp: 'UDP',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  http: 'HTTP',
  http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2',
  https: 'HTTPS',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
};

/** SMTP, DNS, MySQL, MongoDB: never sniffed (conversion.go `wellKnownPorts`). */
const wellKnownTcpPorts = new Set([25, 53, 3306, 27017]);

/** `protocol.Parse`: case-insensitive, Unsupported when unknown. */
export function parseProtocol(text: string): IstioProtocol {
  return byLowerName[text.toLowerCase()] ?? 'Unsupported';
}

export function servicePortProtocol(port: ServicePort): IstioProtocol {
  if (port.protocol === 'UDP') return 'UDP';
  let name = port.name;
  if (port.appProtocol !== undefined) {
    name = port.appProtocol;
    if (name === 'kubernetes.io/h2c') return 'HTTP2';
    if (name === 'kubernetes.io/ws') return 'HTTP';
    if (name === 'kubernetes.io/wss') return 'HTTPS';
  }
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-Web';
  const dash = name.indexOf('-');
  const parsed = parseProtocol(dash >= 0 ? name.slice(0, dash) : name);
  if (parsed === 'Unsupported' && wellKnownTcpPorts.has(port.port)) return 'TCP';
  return parsed;
}

export function isHttpProtocol(p: IstioProtocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'HTTP_PROXY' || p === 'GRPC' || p === 'GRPC-Web';
}

export function isHttp2Protocol(p: IstioProtocol): boolean {
  return p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
}

export function isGrpcProtocol(p: IstioProtocol): boolean {
  return p === 'GRPC' || p === 'GRPC-Web';
}

/** HTTP, or not declared (sniffed): such ports get HTTP routes (`IsHTTPOrSniffed`). */
export function isHttpOrSniffed(p: IstioProtocol): boolean {
  return isHttpProtocol(p) || p === 'Unsupported';
}
