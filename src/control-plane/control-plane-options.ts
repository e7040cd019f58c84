/**
 * `spillway control-plane` options, parsed and checked before anything starts. A control plane
 * watches its own Kubernetes cluster (config and discovery) plus any number of remote clusters
 * (discovery only, as Istio's remote secrets do), and serves ADS and an admin interface.
 */
import { ConfigError, ErrorCode } from '../core/errors.js';

/** One Kubernetes cluster the control plane watches. */
export interface WatchedCluster {
  readonly clusterId: string;
  /** The network its endpoints are on (Istio `topology.istio.io/network`); '' = the default network. */
  readonly network: string;
  /** kubeconfig file; undefined = client-node's default loading (KUBECONFIG, ~/.kube/config, in-cluster). */
  readonly kubeconfig?: string;
  /** Context inside the kubeconfig; undefined = its current context. */
  readonly context?: string;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ControlPlaneOptions {
  /** The control plane's own cluster: Istio config comes from here only. */
  readonly local: WatchedCluster;
  readonly remotes: readonly WatchedCluster[];
  readonly xdsAddress: HostPort;
  readonly adminAddress: HostPort;
  readonly trustDomain: string;
  /** Milliseconds to coalesce changes before recomputing proxies' configuration. */
  readonly debounceMs: number;
  /** istiod's `ENABLE_INBOUND_RETRY_POLICY` (default true). */
  readonly enableInboundRetryPolicy: boolean;
}

/** What the command line gives, as commander parses it. */
export interface ControlPlaneCliFlags {
  clusterId: string;
  network?: string;
  kubeconfig?: string;
  context?: string;
  remote?: string[];
  xdsAddress: string;
  adminAddress: string;
  trustDomain: string;
  debounceMs?: string;
  /** `true` / `false`; default: env ENABLE_INBOUND_RETRY_POLICY as istiod reads it, else true. */
  inboundRetryPolicy?: string;
}

function flagError(flag: string, problem: string): ConfigError {
  return new ConfigError(ErrorCode.configInvalid, { path: flag }, problem);
}

/** `127.0.0.1:15010` -> host and port (port 0 picks a free one). */
export function parseHostPort(flag: string, text: string): HostPort {
  const m = /^(?<host>[^:]+|\[[^\]]+\]):(?<port>\d+)$/.exec(text);
  const port = Number(m?.groups?.['port']);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw flagError(flag, `expected <address>:<port> such as 127.0.0.1:15010, got '${text}'`);
  }
  return { host: (m.groups?.['host'] ?? '').replace(/^\[|\]$/g, ''), port };
}

const clusterIdText = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * `--remote <kubeconfig>#<context>=<cluster-id>[@<network>]`; `#<context>` may be left out (the
 * kubeconfig's current context).
 */
export function parseRemote(text: string): WatchedCluster {
  const eq = text.lastIndexOf('=');
  if (eq <= 0 || eq === text.length - 1) {
    throw flagError('--remote', `expected <kubeconfig>#<context>=<cluster-id>[@<network>], got '${text}'`);
  }
  const source = text.slice(0, eq);
  const target = text.slice(eq + 1);
  const at = target.indexOf('@');
  const clusterId = at === -1 ? target : target.slice(0, at);
  const network = at === -1 ? '' : target.slice(at + 1);
  if (!clusterIdText.test(clusterId))
    throw flagError('--remote', `invalid cluster id '${clusterId}' in '${text}'`);
  const hash = source.lastIndexOf('#');
  const kubeconfig = hash === -1 ? source : source.slice(0, hash);
  const context = hash === -1 ? undefined : source.slice(hash + 1);
  if (kubeconfig === '') throw flagError('--remote', `missing kubeconfig path in '${text}'`);
  if (context === '') throw flagError('--remote', `empty context after '#' in '${text}'`);
  return { clusterId, network, kubeconfig, ...(context !== undefined ? { context } : {}) };
}

export function parseControlPlaneFlags(flags: ControlPlaneCliFlags): ControlPlaneOptions {
  if (!clusterIdText.test(flags.clusterId))
    throw flagError('--cluster-id', `invalid cluster id '${flags.clusterId}'`);
  const local: WatchedCluster = {
    clusterId: flags.clusterId,
    network: flags.network ?? '',
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  };
  const remotes = (flags.remote ?? []).map(parseRemote);
  const seen = new Set([local.clusterId]);
  for (const remote of remotes) {
    if (seen.has(remote.clusterId))
      throw flagError('--remote', `cluster id '${remote.clusterId}' is given twice`);
    seen.add(remote.clusterId);
  }
  const debounceMs = flags.debounceMs === undefined ? 10 : Number(flags.debounceMs);
  if (!Number.isFinite(debounceMs) || debounceMs < 0 || debounceMs > 10_000) {
    throw flagError('--debounce-ms', `expected milliseconds from 0 to 10000, got '${flags.debounceMs}'`);
  }
  if (flags.trustDomain === '' || /\s/.test(flags.trustDomain)) {
    throw flagError('--trust-domain', `invalid trust domain '${flags.trustDomain}'`);
  }
  const inboundText = flags.inboundRetryPolicy ?? 'true';
  if (inboundText !== 'true' && inboundText !== 'false') {
    throw flagError('--inbound-retry-policy', `expected true or false, got '${inboundText}'`);
  }
  return {
    local,
    remotes,
    enableInboundRetryPolicy: inboundText === 'true',
    xdsAddress: parseHostPort('--xds-address', flags.xdsAddress),
    adminAddress: parseHostPort('--admin-address', flags.adminAddress),
    trustDomain: flags.trustDomain,
    debounceMs,
  };
}
