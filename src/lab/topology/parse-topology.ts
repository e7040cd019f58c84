/**
 * Reads and validates a lab topology file (YAML or JSON) before anything starts. Every problem is a
 * ConfigError naming the file, the field path (`spec.clusters[1].region`) and the reason; unknown
 * fields are errors, not ignored, so a typo never silently falls back to a default.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigError, ErrorCode, type ConfigLocation } from '../../core/errors.js';
import {
  defaultAddressBase,
  defaultIngressPort,
  defaultNetwork,
  maxNodesPerCluster,
  topologyApiVersion,
  topologyKind,
  type ClusterTopology,
  type LabTopology,
  type MeshTopology,
  type RegionTopology,
} from './lab-topology.js';

type Json = Record<string, unknown>;

/** DNS-1123 label: node names are built from cluster and zone names, so both must be labels. */
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Kubernetes label value (the network is a label value on pods and namespaces). */
const labelValue = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

class TopologyReader {
  constructor(private readonly file: string | undefined) {}

  fail(path: string, problem: string, code: string = ErrorCode.configInvalid): ConfigError {
    const location: ConfigLocation = { path };
    if (this.file !== undefined) location.file = this.file;
    return new ConfigError(code, location, problem);
  }

  object(value: unknown, path: string, fields: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.fail(path, `expected an object, got ${describe(value)}`, ErrorCode.configWrongType);
    }
    for (const key of Object.keys(value)) {
      if (!fields.includes(key)) {
        throw this.fail(
          join(path, key),
          `unknown field (known fields: ${fields.join(', ')})`,
          ErrorCode.configUnknownField,
        );
      }
    }
    return value as Json;
  }

  list(value: unknown, path: string, isRequired: boolean): unknown[] {
    if (value === undefined && !isRequired) return [];
    if (!Array.isArray(value)) {
      throw this.fail(path, `expected a list, got ${describe(value)}`, ErrorCode.configWrongType);
    }
    if (isRequired && value.length === 0) throw this.fail(path, 'must not be empty');
    return value;
  }

  name(value: unknown, path: string, pattern = dnsLabel, what = 'a DNS-1123 label'): string {
    if (typeof value !== 'string') {
      throw this.fail(
        path,
        value === undefined ? 'required' : `expected a string, got ${describe(value)}`,
        value === undefined ? ErrorCode.configInvalid : ErrorCode.configWrongType,
      );
    }
    if (value.length > 63 || !pattern.test(value)) {
      throw this.fail(path, `'${value}' is not ${what} (lowercase letters, digits and '-', at most 63)`);
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number, fallback?: number): number {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw this.fail(
        path,
        value === undefined ? 'required' : `expected an integer, got ${describe(value)}`,
        ErrorCode.configWrongType,
      );
    }
    if (value < min || value > max) {
      throw this.fail(path, `${value} is out of range ${min}..${max}`, ErrorCode.configOutOfRange);
    }
    return value;
  }

  unique(names: readonly string[], path: (i: number) => string, what: string, why = ''): void {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) throw this.fail(path(i), `duplicate ${what} '${n}'${why}`);
      seen.add(n);
    });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function readRegions(r: TopologyReader, value: unknown): RegionTopology[] {
  const regions = r.list(value, 'spec.regions', true).map((raw, i) => {
    const path = `spec.regions[${i}]`;
    const o = r.object(raw, path, ['name', 'zones']);
    const zones = r.list(o['zones'], `${path}.zones`, true).map((z, j) => r.name(z, `${path}.zones[${j}]`));
    return { name: r.name(o['name'], `${path}.name`), zones };
  });
  r.unique(
    regions.map((g) => g.name),
    (i) => `spec.regions[${i}].name`,
    'region',
  );
  const zoneRegion = new Map<string, string>();
  regions.forEach((g, i) =>
    g.zones.forEach((z, j) => {
      const other = zoneRegion.get(z);
      if (other !== undefined) {
        throw r.fail(
          `spec.regions[${i}].zones[${j}]`,
          other === g.name ? `duplicate zone '${z}'` : `zone '${z}' is already in region '${other}'`,
        );
      }
      zoneRegion.set(z, g.name);
    }),
  );
  return regions;
}

function readNodesPerZone(
  r: TopologyReader,
  value: unknown,
  path: string,
  zones: readonly string[],
): number[] {
  if (value === undefined || typeof value === 'number') {
    const n = r.integer(value, path, 1, maxNodesPerCluster, 1);
    return zones.map(() => n);
  }
  const o = r.object(value, path, zones);
  return zones.map((z) => {
    if (o[z] === undefined) throw r.fail(`${path}.${z}`, `missing: every zone of the cluster needs a count`);
    return r.integer(o[z], `${path}.${z}`, 1, maxNodesPerCluster);
  });
}

function readClusters(
  r: TopologyReader,
  value: unknown,
  regions: readonly RegionTopology[],
): ClusterTopology[] {
  const fields = ['name', 'region', 'network', 'zones', 'nodesPerZone', 'ingressPort'];
  const clusters = r.list(value, 'spec.clusters', true).map((raw, i): ClusterTopology => {
    const path = `spec.clusters[${i}]`;
    const o = r.object(raw, path, fields);
    const name = r.name(o['name'], `${path}.name`);
    const regionName = r.name(o['region'], `${path}.region`);
    const region = regions.find((g) => g.name === regionName);
    if (region === undefined) {
      throw r.fail(
        `${path}.region`,
        `unknown region '${regionName}' (regions: ${regions.map((g) => g.name).join(', ')})`,
      );
    }
    const zones =
      o['zones'] === undefined
        ? [...region.zones]
        : r.list(o['zones'], `${path}.zones`, true).map((z, j) => {
            const zone = r.name(z, `${path}.zones[${j}]`);
            if (!region.zones.includes(zone)) {
              throw r.fail(`${path}.zones[${j}]`, `zone '${zone}' is not in region '${region.name}'`);
            }
            return zone;
          });
    r.unique(zones, (j) => `${path}.zones[${j}]`, 'zone');
    const nodesPerZone = readNodesPerZone(r, o['nodesPerZone'], `${path}.nodesPerZone`, zones);
    const total = nodesPerZone.reduce((a, b) => a + b, 0);
    if (total > maxNodesPerCluster) {
      throw r.fail(
        `${path}.nodesPerZone`,
        `${total} nodes in one cluster; at most ${maxNodesPerCluster} (one /24 each)`,
        ErrorCode.configOutOfRange,
      );
    }
    const ingressPort = r.integer(o['ingressPort'], `${path}.ingressPort`, 1, 65535, defaultIngressPort);
    return {
      name,
      region: region.name,
      network:
        o['network'] === undefined
          ? defaultNetwork
          : r.name(o['network'], `${path}.network`, labelValue, 'a label value'),
      zones,
      nodesPerZone,
      ingressPort,
    };
  });
  r.unique(
    clusters.map((c) => c.name),
    (i) => `spec.clusters[${i}].name`,
    'cluster',
  );
  return clusters;
}

function readMeshes(r: TopologyReader, value: unknown, clusters: readonly ClusterTopology[]): MeshTopology[] {
  const clusterNames = clusters.map((c) => c.name);
  const meshes = r.list(value, 'spec.meshes', false).map((raw, i): MeshTopology => {
    const path = `spec.meshes[${i}]`;
    const o = r.object(raw, path, ['name', 'region', 'configCluster', 'clusters', 'inboundRetryPolicy']);
    const name = r.name(o['name'], `${path}.name`);
    const region = r.name(o['region'], `${path}.region`);
    const configName = r.name(o['configCluster'], `${path}.configCluster`);
    const config = clusters.find((c) => c.name === configName);
    if (config === undefined) {
      throw r.fail(
        `${path}.configCluster`,
        `unknown cluster '${configName}' (clusters: ${clusterNames.join(', ')})`,
      );
    }
    // Multi-primary (the seed): each region's control plane runs in and configures its own cluster.
    if (config.region !== region) {
      throw r.fail(
        `${path}.configCluster`,
        `cluster '${configName}' is in region '${config.region}', not in the mesh's region '${region}'`,
      );
    }
    const watched =
      o['clusters'] === undefined
        ? clusterNames
        : r.list(o['clusters'], `${path}.clusters`, true).map((c, j) => {
            const cluster = r.name(c, `${path}.clusters[${j}]`);
            if (!clusterNames.includes(cluster)) {
              throw r.fail(`${path}.clusters[${j}]`, `unknown cluster '${cluster}'`);
            }
            return cluster;
          });
    r.unique(watched, (j) => `${path}.clusters[${j}]`, 'cluster');
    if (!watched.includes(configName)) {
      throw r.fail(`${path}.clusters`, `must include the config cluster '${configName}'`);
    }
    const inbound = o['inboundRetryPolicy'];
    if (inbound !== undefined && typeof inbound !== 'boolean') {
      throw r.fail(`${path}.inboundRetryPolicy`, 'expected true or false');
    }
    return {
      name,
      region,
      configCluster: configName,
      clusters: watched,
      inboundRetryPolicy: inbound ?? true,
    };
  });
  r.unique(
    meshes.map((m) => m.name),
    (i) => `spec.meshes[${i}].name`,
    'mesh',
  );
  // The control plane's address is derived from its config cluster (127.(base+N).0.2).
  r.unique(
    meshes.map((m) => m.configCluster),
    (i) => `spec.meshes[${i}].configCluster`,
    'config cluster',
    ': one control plane per cluster',
  );
  return meshes;
}

/** Validates a parsed topology document. */
export function topologyFromJson(value: unknown, file?: string): LabTopology {
  const r = new TopologyReader(file);
  const root = r.object(value, '', ['apiVersion', 'kind', 'metadata', 'spec']);
  if (root['apiVersion'] !== topologyApiVersion) {
    throw r.fail('apiVersion', `expected '${topologyApiVersion}', got ${describe(root['apiVersion'])}`);
  }
  if (root['kind'] !== topologyKind) {
    throw r.fail('kind', `expected '${topologyKind}', got ${describe(root['kind'])}`);
  }
  const metadata = root['metadata'] === undefined ? {} : r.object(root['metadata'], 'metadata', ['name']);
  const spec = r.object(root['spec'], 'spec', ['addressBase', 'regions', 'clusters', 'meshes']);
  const regions = readRegions(r, spec['regions']);
  const clusters = readClusters(r, spec['clusters'], regions);
  // Cluster N uses 127.(base+N) and its pods' localhost addresses 127.(base+100+N): both <= 255.
  const maxBase = 155 - clusters.length;
  const addressBase = r.integer(spec['addressBase'], 'spec.addressBase', 1, maxBase, defaultAddressBase);
  const meshes = readMeshes(r, spec['meshes'], clusters);
  return {
    name: metadata['name'] === undefined ? 'lab' : r.name(metadata['name'], 'metadata.name'),
    addressBase,
    regions,
    clusters,
    meshes,
  };
}

/** Parses topology text (YAML, of which JSON is a subset): exactly one document. */
export function parseTopology(text: string, file?: string): LabTopology {
  const r = new TopologyReader(file);
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) {
      const at = error.linePos?.[0];
      const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
      const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? '';
      throw r.fail('', `YAML syntax error${where}: ${message}`, ErrorCode.configParse);
    }
  }
  if (documents.length !== 1) {
    throw r.fail(
      '',
      `a topology file holds exactly one YAML document, found ${documents.length}`,
      ErrorCode.configParse,
    );
  }
  return topologyFromJson(documents[0]?.toJS() as unknown, file);
}

/** Reads and validates a topology file. */
export function loadTopologyFile(file: string): LabTopology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(ErrorCode.configRead, { file, path: '' }, `cannot read: ${(err as Error).message}`);
  }
  return parseTopology(text, file);
}
