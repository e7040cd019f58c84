import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { kubeconfigYaml } from '../../kube/apiserver/start-api-server.js';
import { mergeKubeconfigs, serverOfContext } from './lab-kubeconfig.js';

/** What `spillway apiserver --write-kubeconfig` writes for a cluster. */
function own(cluster: string, url: string, token: string): string {
  return kubeconfigYaml(
    cluster,
    url,
    token,
    `-----BEGIN CERTIFICATE-----\n${cluster}\n-----END CERTIFICATE-----\n`,
  );
}

describe('the lab kubeconfig', () => {
  test('has one context per cluster named by the cluster id, each with its own cluster and user', () => {
    const merged = parse(
      mergeKubeconfigs([
        { cluster: 'cluster-1', text: own('cluster-1', 'https://127.101.0.1:6443', 'token-1'), source: 'a' },
        { cluster: 'cluster-2', text: own('cluster-2', 'https://127.102.0.1:6443', 'token-2'), source: 'b' },
      ]),
    ) as {
      clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
      users: Array<{ name: string; user: { token: string } }>;
      contexts: Array<{ name: string; context: { cluster: string; user: string; namespace: string } }>;
      'current-context': string;
    };
    assert.deepEqual(
      merged.contexts.map((c) => [c.name, c.context.cluster, c.context.user, c.context.namespace]),
      [
        ['cluster-1', 'cluster-1', 'cluster-1-admin', 'default'],
        ['cluster-2', 'cluster-2', 'cluster-2-admin', 'default'],
      ],
    );
    assert.deepEqual(
      merged.clusters.map((c) => [c.name, c.cluster.server]),
      [
        ['cluster-1', 'https://127.101.0.1:6443'],
        ['cluster-2', 'https://127.102.0.1:6443'],
      ],
    );
    assert.match(
      Buffer.from(merged.clusters[1]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(),
      /cluster-2/,
    );
    assert.deepEqual(
      merged.users.map((u) => [u.name, u.user.token]),
      [
        ['cluster-1-admin', 'token-1'],
        ['cluster-2-admin', 'token-2'],
      ],
    );
    assert.equal(merged['current-context'], 'cluster-1');
  });

  test('renames whatever the source kubeconfig called its entries', () => {
    const text = own('lab', 'https://127.91.0.1:6443', 't');
    const merged = mergeKubeconfigs([{ cluster: 'east', text, source: 'east.kubeconfig' }]);
    assert.equal(serverOfContext(merged, 'east'), 'https://127.91.0.1:6443');
    assert.equal(serverOfContext(merged, 'lab'), undefined);
  });

  test('refuses a kubeconfig without a usable current context, naming the file', () => {
    const bad = [
      ['not: [yaml', /bad\.kubeconfig: not YAML/],
      ['kind: Config\n', /bad\.kubeconfig: no current-context/],
      ['current-context: x\ncontexts: []\n', /context 'x' is not defined/],
      [
        'current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {}}]\n',
        /names no cluster with a server/,
      ],
    ] as const;
    for (const [text, error] of bad) {
      assert.throws(
        () => mergeKubeconfigs([{ cluster: 'c1', text, source: 'bad.kubeconfig' }]),
        (err: Error & { code?: string }) =>
          err.code === 'SPILLWAY_ERR_LAB_KUBECONFIG_INVALID' && error.test(err.message),
      );
    }
  });

  test('refuses the same cluster twice', () => {
    const text = own('c1', 'https://127.91.0.1:6443', 't');
    assert.throws(
      () =>
        mergeKubeconfigs([
          { cluster: 'c1', text, source: 'a' },
          { cluster: 'c1', text, source: 'b' },
        ]),
      /b: cluster 'c1' given twice/,
    );
  });
});
