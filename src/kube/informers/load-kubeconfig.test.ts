import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SpillwayError } from '../../core/errors.js';
import { loadKubeConfig } from './load-kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'spillway-kubeconfig-'));
const file = join(dir, 'kubeconfig');
writeFileSync(
  file,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c1',
    '  cluster: { server: "https://127.81.0.9:6443" }',
    'users:',
    '- name: u1',
    '  user: { token: t }',
    'contexts:',
    '- name: ctx-1',
    '  context: { cluster: c1, user: u1 }',
    '- name: ctx-broken',
    '  context: { cluster: missing, user: u1 }',
    'current-context: ctx-1',
  ].join('\n'),
);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SpillwayError ? `${err.code}: ${err.message}` : String(err);
  }
  return undefined;
}

describe('loadKubeConfig', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file and selects the named context', () => {
    assert.equal(loadKubeConfig(file, 'ctx-1').getCurrentCluster()?.server, 'https://127.81.0.9:6443');
    assert.equal(loadKubeConfig(file, undefined).getCurrentContext(), 'ctx-1');
  });

  it('refuses a missing file, an unknown context and a context without a cluster', () => {
    assert.match(
      code(() => loadKubeConfig(join(dir, 'nope'), undefined)) ?? '',
      /^SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID: .*nope: cannot load kubeconfig/,
    );
    assert.equal(
      code(() => loadKubeConfig(file, 'ctx-9')),
      `SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID: ${file}: no context 'ctx-9' (known: ctx-1, ctx-broken)`,
    );
    assert.equal(
      code(() => loadKubeConfig(file, 'ctx-broken')),
      `SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID: ${file}: context 'ctx-broken' names no cluster`,
    );
  });
});
