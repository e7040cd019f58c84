/**
 * Who a connected proxy is (istio/istio `pilot/pkg/model/context.go` ParseServiceNodeWithMetadata,
 * `pilot/pkg/xds/ads.go` initProxyMetadata/setTopologyLabels, `pkg/serviceregistry/util/label`
 * AugmentLabels), from its xDS `Node` (proto3 JSON, untrusted) and the registry's view of its pod.
 *
 * Node id `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.<suffix>` (`router~...` for gateways).
 * A proxyless gRPC client (metadata `GENERATOR: grpc`) may send any id (its bootstrap is written
 * by hand); its namespace then comes from metadata `NAMESPACE`.
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { makeLocality, unknownLocality, type Locality } from '../core/locality.js';
import {
  TopologyLabel,
  workloadKey,
  type RegistrySnapshot,
  type WorkloadInstance,
} from '../registry/mesh-model.js';
import { isIpLiteral, isIpv4 } from './hostnames.js';
import type { ProxyContext, ProxyType } from './proxy-context.js';

export interface ProxyContextDefaults {
  /** The control plane's own cluster: the proxy's when it sends no `CLUSTER_ID`. */
  readonly clusterId: string;
  /** The control plane cluster's network: the proxy's when neither metadata nor registry has one. */
  readonly network: string;
  /** Where the workload's private localhost is when metadata has no `SPILLWAY_LOCALHOST` (default 127.0.0.1). */
  readonly localhostAddress?: string;
  /** Kubernetes DNS suffix (default `cluster.local`), for proxyless clients without an Istio node id. */
  readonly dnsDomainSuffix?: string;
}

function invalid(problem: string): never {
  throw new SpillwayError(ErrorCode.translateNodeInvalid, `invalid xDS node: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadata[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalid(`metadata ${key} must be a string, got ${typeof value}`);
  return value === '' ? undefined : value;
}

function parseLabels(metadata: Record<string, unknown>): Record<string, string> | undefined {
  const value = metadata['LABELS'];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) invalid('metadata LABELS must be a map of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') invalid(`metadata LABELS[${JSON.stringify(k)}] must be a string`);
    out[k] = v;
  }
  return out;
}

function parseInstanceIps(metadata: Record<string, unknown>): string[] {
  const text = optionalString(metadata, 'INSTANCE_IPS');
  if (text === undefined) return [];
  const ips = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const ip of ips)
    if (!isIpLiteral(ip)) invalid(`metadata INSTANCE_IPS has an invalid IP address ${JSON.stringify(ip)}`);
  return ips;
}

function parseNodeLocality(node: Record<string, unknown>): Locality {
  const value = node['locality'];
  if (value === undefined || value === null) return unknownLocality;
  if (!isRecord(value)) invalid('locality must be an object');
  const part = (a: string, b?: string): string => {
    const v = value[a] ?? (b === undefined ? undefined : value[b]);
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') invalid(`locality.${a} must be a string`);
    return v;
  };
  return makeLocality(part('region'), part('zone'), part('sub_zone', 'subZone'));
}

interface ParsedId {
  readonly type: ProxyType;
  readonly ip: string | undefined;
  readonly podName: string;
  readonly idNamespace: string;
  readonly dnsDomain: string;
}

function parseIstioId(id: string): ParsedId | string {
  const parts = id.split('~');
  if (parts.length !== 4)
    return `node id ${JSON.stringify(id)} is not <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<suffix>`;
  const [type = '', ip = '', podAndNs = '', dnsDomain = ''] = parts;
  if (type !== 'sidecar' && type !== 'router')
    return `node id ${JSON.stringify(id)} has type ${JSON.stringify(type)} (expected sidecar or router)`;
  const dot = podAndNs.indexOf('.');
  return {
    type,
    ip: isIpLiteral(ip) ? ip : undefined,
    podName: dot < 0 ? podAndNs : podAndNs.slice(0, dot),
    idNamespace: dot < 0 ? '' : podAndNs.slice(dot + 1),
    dnsDomain,
  };
}

function findWorkload(
  registry: RegistrySnapshot,
  clusterId: string,
  namespace: string,
  podName: string,
  ips: readonly string[],
): WorkloadInstance | undefined {
  const byName =
    podName === '' ? undefined : registry.workloads.get(workloadKey(clusterId, namespace, podName));
  if (byName !== undefined) return byName;
  // Istio finds the pod by the proxy's IP when the name does not match (pods.getPodByProxy).
  for (const w of registry.workloads.values())
    if (w.clusterId === clusterId && ips.includes(w.address)) return w;
  return undefined;
}

/** localityFromProxyLabels: the topology labels, else the `istio-locality` label. */
function localityFromLabels(labels: Readonly<Record<string, string>>): Locality | undefined {
  const region = labels[TopologyLabel.region];
  const zone = labels[TopologyLabel.zone];
  const subZone = labels[TopologyLabel.subZone];
  if (region !== undefined || zone !== undefined || subZone !== undefined)
    return makeLocality(region, zone, subZone);
  const label = labels['istio-locality'];
  if (label === undefined) return undefined;
  const [r = '', z = '', s = ''] = label.split(label.includes('/') ? '/' : '.');
  return makeLocality(r, z, s);
}

function augmentLabels(
  labels: Readonly<Record<string, string>>,
  clusterId: string,
  locality: Locality,
  nodeName: string | undefined,
  network: string,
): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  if (locality.region !== '') out[TopologyLabel.region] = locality.region;
  if (locality.zone !== '') out[TopologyLabel.zone] = locality.zone;
  if (locality.subZone !== '') out[TopologyLabel.subZone] = locality.subZone;
  if (clusterId !== '') out[TopologyLabel.cluster] = clusterId;
  if (nodeName !== undefined && nodeName !== '') out[TopologyLabel.hostname] = nodeName;
  if (network !== '' && (out[TopologyLabel.network] ?? '') === '') out[TopologyLabel.network] = network;
  return out;
}

/** Resolves the proxy behind an xDS `Node`; throws SPILLWAY_ERR_TRANSLATE_NODE_INVALID when it cannot. */
export function resolveProxyContext(
  node: unknown,
  registry: RegistrySnapshot,
  defaults: ProxyContextDefaults,
): ProxyContext {
  if (!isRecord(node)) invalid('the node must be an object');
  const id = node['id'];
  if (typeof id !== 'string' || id === '') invalid('the node has no id');
  const rawMetadata = node['metadata'] ?? {};
  if (!isRecord(rawMetadata)) invalid('metadata must be an object');
  const metadata = rawMetadata;
  const isProxyless = optionalString(metadata, 'GENERATOR') === 'grpc';
  const parsed = parseIstioId(id);
  if (typeof parsed === 'string' && !isProxyless) invalid(parsed);
  const istioId = typeof parsed === 'string' ? undefined : parsed;
  const namespace =
    optionalString(metadata, 'NAMESPACE') ?? (istioId?.idNamespace || istioId?.dnsDomain.split('.')[0] || '');
  if (namespace === '')
    invalid(
      isProxyless
        ? 'a proxyless gRPC node needs metadata NAMESPACE'
        : 'no namespace in metadata NAMESPACE or the node id',
    );
  const instanceIps = parseInstanceIps(metadata);
  const ips = [...new Set([...(istioId?.ip === undefined ? [] : [istioId.ip]), ...instanceIps])];
  if (ips.length === 0 && !isProxyless)
    invalid('no valid IP address in the node id or metadata INSTANCE_IPS');
  const clusterId = optionalString(metadata, 'CLUSTER_ID') ?? defaults.clusterId;
  const podName = istioId?.podName ?? optionalString(metadata, 'POD_NAME') ?? '';
  const workload = findWorkload(registry, clusterId, namespace, podName, ips);
  const baseLabels = workload?.labels ?? parseLabels(metadata) ?? {};
  const workloadLocality = workload?.locality;
  const locality =
    workloadLocality !== undefined &&
    (workloadLocality.region !== '' || workloadLocality.zone !== '' || workloadLocality.subZone !== '')
      ? workloadLocality
      : (localityFromLabels(baseLabels) ?? parseNodeLocality(node));
  const network = optionalString(metadata, 'NETWORK') ?? (workload?.network || defaults.network);
  const localhost =
    optionalString(metadata, 'SPILLWAY_LOCALHOST') ?? defaults.localhostAddress ?? '127.0.0.1';
  if (!isIpv4(localhost))
    invalid(`metadata SPILLWAY_LOCALHOST must be an IPv4 address, got ${JSON.stringify(localhost)}`);
  const suffix = defaults.dnsDomainSuffix ?? 'cluster.local';
  return {
    id,
    type: istioId?.type ?? 'sidecar',
    ipAddresses: ips,
    podName: workload?.name ?? podName,
    namespace,
    dnsDomain: istioId?.dnsDomain || `${namespace}.svc.${suffix}`,
    clusterId,
    network,
    labels: augmentLabels(
      baseLabels,
      clusterId,
      locality,
      workload?.nodeName ?? optionalString(metadata, 'NODE_NAME'),
      network,
    ),
    locality,
    workloadName: optionalString(metadata, 'WORKLOAD_NAME') ?? '',
    localhostAddress: localhost,
    metadata,
  };
}

/** `GENERATOR: grpc`: a proxyless gRPC client, served Istio's grpcgen shapes. */
export function isProxylessGrpc(proxy: ProxyContext): boolean {
  return proxy.metadata['GENERATOR'] === 'grpc';
}
