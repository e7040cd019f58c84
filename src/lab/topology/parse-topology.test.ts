import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ConfigError } from '../../core/errors.js';
import { defaultTopology } from './default-topology.js';
import { loadTopologyFile, parseTopology, topologyFromJson } from './parse-topology.js';

const examplePath = fileURLToPath(new URL('../../../../examples/lab/two-regions.yaml', import.meta.url));

/** A small valid topology document to break in one place per test. */
function small(): Record<string, unknown> {
  return {
    apiVersion: 'spillway.io/v1alpha1',
    kind: 'LabTopology',
    metadata: { name: 'small' },
    spec: {
      addressBase: 90,
      regions: [{ name: 'r1', zones: ['z1', 'z2'] }],
      clusters: [{ name: 'c1', region: 'r1' }],
      meshes: [{ name: 'm1', region: 'r1', configCluster: 'c1' }],
    },
  };
}

function spec(doc: Record<string, unknown>): Record<string, unknown> {
  return doc['spec'] as Record<string, unknown>;
}

function item(doc: Record<string, unknown>, list: string, index = 0): Record<string, unknown> {
  return (spec(doc)[list] as Array<Record<string, unknown>>)[index] as Record<string, unknown>;
}

describe('the built-in topology', () => {
  test('is the seed: cluster-1 in cn-hangzhou, cluster-2 in ap-northeast-1, one node per zone, two meshes', () => {
    const t = defaultTopology();
    assert.equal(t.addressBase, 100);
    assert.deepEqual(
      t.clusters.map((c) => [c.name, c.region, c.zones, c.nodesPerZone, c.network, c.ingressPort]),
      [
        ['cluster-1', 'cn-hangzhou', ['cn-hangzhou-h', 'cn-hangzhou-k'], [1, 1], 'network-1', 80],
        ['cluster-2', 'ap-northeast-1', ['ap-northeast-1a', 'ap-northeast-1b'], [1, 1], 'network-1', 80],
      ],
    );
    assert.deepEqual(
      t.meshes.map((m) => [m.name, m.region, m.configCluster, m.clusters]),
      [
        ['mesh-1', 'cn-hangzhou', 'cluster-1', ['cluster-1', 'cluster-2']],
        ['mesh-2', 'ap-northeast-1', 'cluster-2', ['cluster-1', 'cluster-2']],
      ],
    );
  });

  test('equals examples/lab/two-regions.yaml', () => {
    assert.deepEqual(loadTopologyFile(examplePath), defaultTopology());
  });
});

describe('defaults', () => {
  test('fill network, zones, one node per zone, port 80, all clusters watched', () => {
    const doc = small();
    delete spec(doc)['addressBase'];
    const t = topologyFromJson(doc);
    assert.equal(t.addressBase, 100);
    assert.deepEqual(t.clusters[0], {
      name: 'c1',
      region: 'r1',
      network: 'network-1',
      zones: ['z1', 'z2'],
      nodesPerZone: [1, 1],
      ingressPort: 80,
    });
    assert.deepEqual(t.meshes[0]?.clusters, ['c1']);
  });

  test('nodesPerZone may give a count per zone, and zones a subset of the region', () => {
    const doc = small();
    Object.assign(item(doc, 'clusters'), { zones: ['z2'], nodesPerZone: { z2: 3 } });
    const t = topologyFromJson(doc);
    assert.deepEqual([t.clusters[0]?.zones, t.clusters[0]?.nodesPerZone], [['z2'], [3]]);
  });

  test('meshes may be left out (a lab without control planes)', () => {
    const doc = small();
    delete spec(doc)['meshes'];
    assert.deepEqual(topologyFromJson(doc).meshes, []);
  });
});

describe('every mistake names the file, the field path and the reason', () => {
  const cases: Array<{ name: string; change: (doc: Record<string, unknown>) => void; error: RegExp }> = [
    {
      name: 'wrong apiVersion',
      change: (d) => (d['apiVersion'] = 'v1'),
      error: /^t\.yaml: apiVersion: expected 'spillway\.io\/v1alpha1'/,
    },
    {
      name: 'wrong kind',
      change: (d) => (d['kind'] = 'Topology'),
      error: /t\.yaml: kind: expected 'LabTopology'/,
    },
    {
      name: 'unknown top-level field',
      change: (d) => (d['specs'] = {}),
      error: /t\.yaml: specs: unknown field/,
    },
    {
      name: 'unknown cluster field',
      change: (d) => (item(d, 'clusters')['regoin'] = 'r1'),
      error: /t\.yaml: spec\.clusters\[0\]\.regoin: unknown field \(known fields: name, region/,
    },
    {
      name: 'missing regions',
      change: (d) => delete spec(d)['regions'],
      error: /spec\.regions: expected a list, got undefined/,
    },
    {
      name: 'empty zones',
      change: (d) => (item(d, 'regions')['zones'] = []),
      error: /spec\.regions\[0\]\.zones: must not be empty/,
    },
    {
      name: 'zone name not a DNS label',
      change: (d) => (item(d, 'regions')['zones'] = ['Zone_1']),
      error: /spec\.regions\[0\]\.zones\[0\]: 'Zone_1' is not a DNS-1123 label/,
    },
    {
      name: 'zone in two regions',
      change: (d) => (spec(d)['regions'] as unknown[]).push({ name: 'r2', zones: ['z1'] }),
      error: /spec\.regions\[1\]\.zones\[0\]: zone 'z1' is already in region 'r1'/,
    },
    {
      name: 'duplicate region',
      change: (d) => (spec(d)['regions'] as unknown[]).push({ name: 'r1', zones: ['z9'] }),
      error: /spec\.regions\[1\]\.name: duplicate region 'r1'/,
    },
    {
      name: 'unknown region of a cluster',
      change: (d) => (item(d, 'clusters')['region'] = 'r9'),
      error: /spec\.clusters\[0\]\.region: unknown region 'r9' \(regions: r1\)/,
    },
    {
      name: 'cluster zone outside its region',
      change: (d) => (item(d, 'clusters')['zones'] = ['z7']),
      error: /spec\.clusters\[0\]\.zones\[0\]: zone 'z7' is not in region 'r1'/,
    },
    {
      name: 'duplicate cluster',
      change: (d) => (spec(d)['clusters'] as unknown[]).push({ name: 'c1', region: 'r1' }),
      error: /spec\.clusters\[1\]\.name: duplicate cluster 'c1'/,
    },
    {
      name: 'zero nodes',
      change: (d) => (item(d, 'clusters')['nodesPerZone'] = 0),
      error: /spec\.clusters\[0\]\.nodesPerZone: 0 is out of range 1\.\.254/,
    },
    {
      name: 'fractional nodes',
      change: (d) => (item(d, 'clusters')['nodesPerZone'] = 1.5),
      error: /spec\.clusters\[0\]\.nodesPerZone: expected an integer, got number 1\.5/,
    },
    {
      name: 'per-zone count missing a zone',
      change: (d) => (item(d, 'clusters')['nodesPerZone'] = { z1: 1 }),
      error: /spec\.clusters\[0\]\.nodesPerZone\.z2: missing/,
    },
    {
      name: 'too many nodes in a cluster',
      change: (d) => (item(d, 'clusters')['nodesPerZone'] = 200),
      error: /spec\.clusters\[0\]\.nodesPerZone: 400 nodes in one cluster; at most 254/,
    },
    {
      name: 'ingress port out of range',
      change: (d) => (item(d, 'clusters')['ingressPort'] = 70000),
      error: /spec\.clusters\[0\]\.ingressPort: 70000 is out of range 1\.\.65535/,
    },
    {
      name: 'ingress port as text',
      change: (d) => (item(d, 'clusters')['ingressPort'] = '80'),
      error: /spec\.clusters\[0\]\.ingressPort: expected an integer, got string "80"/,
    },
    {
      name: 'network not a label value',
      change: (d) => (item(d, 'clusters')['network'] = 'net 1'),
      error: /spec\.clusters\[0\]\.network: 'net 1' is not a label value/,
    },
    {
      name: 'address base too high for the pod localhost range',
      change: (d) => (spec(d)['addressBase'] = 155),
      error: /spec\.addressBase: 155 is out of range 1\.\.154/,
    },
    {
      name: 'mesh config cluster unknown',
      change: (d) => (item(d, 'meshes')['configCluster'] = 'c9'),
      error: /spec\.meshes\[0\]\.configCluster: unknown cluster 'c9' \(clusters: c1\)/,
    },
    {
      name: 'mesh config cluster in another region',
      change: (d) => {
        (spec(d)['regions'] as unknown[]).push({ name: 'r2', zones: ['z3'] });
        item(d, 'meshes')['region'] = 'r2';
      },
      error:
        /spec\.meshes\[0\]\.configCluster: cluster 'c1' is in region 'r1', not in the mesh's region 'r2'/,
    },
    {
      name: 'mesh not watching its config cluster',
      change: (d) => {
        (spec(d)['clusters'] as unknown[]).push({ name: 'c2', region: 'r1' });
        item(d, 'meshes')['clusters'] = ['c2'];
      },
      error: /spec\.meshes\[0\]\.clusters: must include the config cluster 'c1'/,
    },
    {
      name: 'mesh watching an unknown cluster',
      change: (d) => (item(d, 'meshes')['clusters'] = ['c1', 'c8']),
      error: /spec\.meshes\[0\]\.clusters\[1\]: unknown cluster 'c8'/,
    },
    {
      name: 'two meshes on one config cluster',
      change: (d) => (spec(d)['meshes'] as unknown[]).push({ name: 'm2', region: 'r1', configCluster: 'c1' }),
      error: /spec\.meshes\[1\]\.configCluster: duplicate config cluster 'c1'/,
    },
    {
      name: 'mesh without a name',
      change: (d) => delete item(d, 'meshes')['name'],
      error: /spec\.meshes\[0\]\.name: required/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const doc = small();
      c.change(doc);
      assert.throws(
        () => parseTopology(stringify(doc), 't.yaml'),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.match(err.message, c.error);
          assert.equal(err.location.file, 't.yaml');
          return true;
        },
      );
    });
  }

  test('a YAML syntax error gives line and column', () => {
    assert.throws(
      () => parseTopology('apiVersion: spillway.io/v1alpha1\nkind: [LabTopology\n', 't.yaml'),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^t\.yaml: \(root\): YAML syntax error at line \d+, column \d+/.test(err.message) &&
        err.code === 'SPILLWAY_ERR_CONFIG_PARSE',
    );
  });

  test('two documents are refused', () => {
    assert.throws(
      () => parseTopology(`${stringify(small())}---\n${stringify(small())}`, 't.yaml'),
      /exactly one YAML document, found 2/,
    );
  });

  test('a file that cannot be read names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-topology-'));
    try {
      const missing = join(dir, 'missing.yaml');
      assert.throws(
        () => loadTopologyFile(missing),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.code === 'SPILLWAY_ERR_CONFIG_READ' &&
          err.message.startsWith(`${missing}: (root): cannot read`),
      );
      const file = join(dir, 'ok.yaml');
      writeFileSync(file, stringify(small()));
      assert.equal(loadTopologyFile(file).name, 'small');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
