/**
 * The bootstrap `stats_config` of a lab proxy, from the pod's annotations as Istio's pilot-agent
 * builds it (istio/istio `pkg/bootstrap/config.go` getStatsOptions, the `stats_matcher` block of
 * `tools/packaging/common/envoy_bootstrap.json`):
 *
 * - inclusion prefixes/suffixes/regexps come from `sidecar.istio.io/statsInclusionPrefixes|Suffixes|
 *   Regexps` (comma-separated), else from `proxyStatsMatcher` of the `proxy.istio.io/config` annotation
 *   (an annotation replaces the proxy config value, they are not merged);
 * - Istio's required entries are always added: prefixes `cluster_manager`, `listener_manager`,
 *   `server`, `cluster.xds-grpc`, `wasm`; the RBAC suffixes; the regexp `vhost\..*\.route\..*`; and the
 *   template's fixed prefixes `reporter=`, `component`, `istio` (the last keeps `istio_*` metrics).
 *
 * Spillway's difference (ADR 0016): with none of these annotations there is no matcher at all, so
 * every stat (`envoy_cluster_outlier_detection_*` included) is exported; Istio would still apply the
 * required list and suppress `cluster.<app>.*`. The mesh-wide `defaultConfig.proxyStatsMatcher` is not
 * read (the lab has no MeshConfig for the node agent).
 */
import { parse } from 'yaml';

type Json = Record<string, unknown>;

const requiredPrefixes = ['cluster_manager', 'listener_manager', 'server', 'cluster.xds-grpc', 'wasm'];
const requiredSuffixes = ['rbac.allowed', 'rbac.denied', 'shadow_allowed', 'shadow_denied'];
const requiredRegexps = ['vhost\\..*\\.route\\..*'];

interface ProxyStatsMatcher {
  readonly inclusionPrefixes?: readonly string[];
  readonly inclusionSuffixes?: readonly string[];
  readonly inclusionRegexps?: readonly string[];
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** `proxyStatsMatcher` of the `proxy.istio.io/config` annotation (YAML); undefined if absent or unreadable. */
function proxyConfigMatcher(annotation: string | undefined): ProxyStatsMatcher | undefined {
  if (annotation === undefined) return undefined;
  let config: unknown;
  try {
    config = parse(annotation);
  } catch {
    return undefined;
  }
  if (typeof config !== 'object' || config === null) return undefined;
  const matcher = (config as Json)['proxyStatsMatcher'];
  if (typeof matcher !== 'object' || matcher === null) return undefined;
  const m = matcher as Json;
  const prefixes = stringList(m['inclusionPrefixes']);
  const suffixes = stringList(m['inclusionSuffixes']);
  const regexps = stringList(m['inclusionRegexps']);
  return {
    ...(prefixes !== undefined ? { inclusionPrefixes: prefixes } : {}),
    ...(suffixes !== undefined ? { inclusionSuffixes: suffixes } : {}),
    ...(regexps !== undefined ? { inclusionRegexps: regexps } : {}),
  };
}

/** pilot-agent's parseOption: the annotation if set, else the proxy config list; then the required ones. */
function option(
  annotation: string | undefined,
  fromConfig: readonly string[] | undefined,
  required: string[],
): string[] {
  const chosen =
    annotation !== undefined && annotation !== '' ? annotation.split(',') : [...(fromConfig ?? [])];
  return [...chosen, ...required];
}

/** The `stats_config` for a pod, or undefined to keep every stat (no stats annotation). */
export function statsConfigFromAnnotations(annotations: Readonly<Record<string, string>>): Json | undefined {
  const prefixAnno = annotations['sidecar.istio.io/statsInclusionPrefixes'];
  const suffixAnno = annotations['sidecar.istio.io/statsInclusionSuffixes'];
  const regexAnno = annotations['sidecar.istio.io/statsInclusionRegexps'];
  const fromConfig = proxyConfigMatcher(annotations['proxy.istio.io/config']);
  if (
    prefixAnno === undefined &&
    suffixAnno === undefined &&
    regexAnno === undefined &&
    fromConfig === undefined
  )
    return undefined;
  const patterns: Json[] = [{ prefix: 'reporter=' }];
  for (const prefix of option(prefixAnno, fromConfig?.inclusionPrefixes, requiredPrefixes))
    patterns.push({ prefix });
  for (const suffix of option(suffixAnno, fromConfig?.inclusionSuffixes, requiredSuffixes))
    patterns.push({ suffix });
  for (const regex of option(regexAnno, fromConfig?.inclusionRegexps, requiredRegexps))
    patterns.push({ safe_regex: { regex } });
  patterns.push({ prefix: 'component' }, { prefix: 'istio' });
  return { stats_matcher: { inclusion_list: { patterns } } };
}
