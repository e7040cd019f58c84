import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from '../kube-object.js';
import type { KubeObject, ManagedFieldsEntry } from '../kube-object.js';
import { resourceTypes } from '../resource-registry.js';
import { applyPatch, managedFieldsAfterUpdate, serverSideApply } from './index.js';

const deployments = resourceTypes.find((r) => r.kind === 'Deployment');
assert.ok(deployments);
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';

/** The seed's mockb Deployment as a manifest; `change` edits the first container. */
function manifest(options: { replicas?: number; command?: string[]; image?: string } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'mockb', namespace: 'default', labels: { app: 'mockb' } },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: 'mockb' } },
      template: {
        metadata: { labels: { app: 'mockb' } },
        spec: {
          containers: [
            {
              name: 'default',
              image: options.image ?? 'sample:tracing',
              ...(options.command !== undefined ? { command: options.command } : {}),
              ports: [{ containerPort: 8000 }],
            },
          ],
        },
      },
    },
  };
}

function apply(
  current: KubeObject | undefined,
  applied: KubeObject,
  fieldManager = 'kubectl',
  force = false,
  now = T1,
) {
  return serverSideApply({ current, applied, fieldManager, force, resource: deployments!, now });
}

/** What the API server stores after a create or update by `fieldManager` (non-apply write). */
function write(
  previous: KubeObject | undefined,
  updated: KubeObject,
  fieldManager: string,
  now = T0,
): KubeObject {
  const managedFields = managedFieldsAfterUpdate({ previous, updated, fieldManager, now });
  return { ...updated, metadata: { ...updated.metadata, managedFields } };
}

function entry(object: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return object.metadata.managedFields?.find((e) => e.manager === manager);
}

function container(object: KubeObject): Record<string, unknown> {
  const spec = object['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } };
  const first = spec.template.spec.containers[0];
  assert.ok(first);
  return first;
}

function conflictOf(fn: () => unknown): KubeApiError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof KubeApiError);
    return error;
  }
  assert.fail('expected a conflict');
}

test('apply creates the object and records FieldsV1 ownership as kube-apiserver does', () => {
  const created = apply(undefined, manifest());
  assert.deepEqual(created.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"default"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': {
                    'k:{"containerPort":8000,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
                  },
                },
              },
            },
          },
        },
      },
    },
  ]);
  assert.equal((created['spec'] as { replicas: number }).replicas, 1);
});

test('re-applying without a field removes it when nobody else owns it', () => {
  const first = apply(undefined, manifest({ command: ['sleep', '36000'] }));
  assert.deepEqual(container(first)['command'], ['sleep', '36000']);
  const second = apply(first, manifest(), 'kubectl', false, T2);
  assert.equal(container(second)['command'], undefined);
  assert.equal(entry(second, 'kubectl')?.time, T2);
  const fields = JSON.stringify(entry(second, 'kubectl')?.fieldsV1);
  assert.ok(!fields.includes('f:command'), fields);
});

test('re-applying without a field keeps it when another manager also owns it', () => {
  const first = apply(undefined, manifest({ command: ['sleep', '36000'] }));
  const shared = apply(first, manifest({ command: ['sleep', '36000'] }), 'other', false, T1);
  const second = apply(shared, manifest(), 'kubectl', false, T2);
  assert.deepEqual(container(second)['command'], ['sleep', '36000']);
});

test('applying a different value to a field another manager set is a 409 naming field and manager', () => {
  // `kubectl apply` (client-side) created the object; its manager owns everything it sent.
  const created = write(undefined, manifest(), 'kubectl-client-side-apply');
  const error = conflictOf(() => apply(created, manifest({ replicas: 3 })));
  assert.equal(error.code, 409);
  assert.equal(error.reason, 'Conflict');
  assert.equal(
    error.message,
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
  );
  assert.deepEqual(error.details?.causes, [
    {
      reason: 'FieldManagerConflict',
      message: 'conflict with "kubectl-client-side-apply" using apps/v1',
      field: '.spec.replicas',
    },
  ]);
});

test('conflicts on several fields are listed per manager', () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply');
  const error = conflictOf(() => apply(created, manifest({ replicas: 2, image: 'curl:8.1.2' })));
  assert.equal(
    error.message,
    'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
      '- .spec.replicas\n' +
      '- .spec.template.spec.containers[name="default"].image',
  );
  assert.equal(error.details?.causes?.[1]?.field, '.spec.template.spec.containers[name="default"].image');
});

test('applying the same values another manager set shares ownership without conflict', () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply');
  const applied = apply(created, manifest());
  assert.deepEqual(applied['spec'], created['spec']);
  assert.ok(JSON.stringify(entry(applied, 'kubectl')?.fieldsV1).includes('f:replicas'));
  assert.ok(JSON.stringify(entry(applied, 'kubectl-client-side-apply')?.fieldsV1).includes('f:replicas'));
  assert.deepEqual(
    applied.metadata.managedFields?.map((e) => [e.manager, e.operation]),
    [
      ['kubectl', 'Apply'],
      ['kubectl-client-side-apply', 'Update'],
    ],
  );
});

test('force takes ownership of conflicting fields', () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply');
  const forced = apply(created, manifest({ replicas: 3 }), 'kubectl', true);
  assert.equal((forced['spec'] as { replicas: number }).replicas, 3);
  const previousOwner = JSON.stringify(entry(forced, 'kubectl-client-side-apply')?.fieldsV1);
  assert.ok(!previousOwner.includes('f:replicas'), previousOwner);
  assert.ok(previousOwner.includes('f:image'));
  // The next apply by the old owner's values now conflicts with the applier.
  const error = conflictOf(() => apply(forced, manifest({ replicas: 1 }), 'someone-else'));
  assert.match(error.message, /conflict with "kubectl": \.spec\.replicas$/);
});

test('an update (kubectl edit) takes ownership of what it changed from the applier', () => {
  const applied = apply(undefined, manifest());
  const edited = manifest({ replicas: 5 });
  edited.metadata.managedFields = applied.metadata.managedFields ?? [];
  const stored = write(applied, edited, 'kubectl-edit', T2);
  assert.deepEqual(entry(stored, 'kubectl-edit'), {
    manager: 'kubectl-edit',
    operation: 'Update',
    apiVersion: 'apps/v1',
    time: T2,
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  });
  assert.ok(!JSON.stringify(entry(stored, 'kubectl')?.fieldsV1).includes('f:replicas'));
  // Re-applying the manifest's replicas now conflicts with the editor.
  const error = conflictOf(() => apply(stored, manifest()));
  assert.equal(
    error.message,
    'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
  );
});

test('an update that changes nothing leaves managedFields as they were', () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply', T0);
  const again = write(
    created,
    { ...manifest(), metadata: { ...created.metadata } },
    'kubectl-client-side-apply',
    T2,
  );
  assert.deepEqual(again.metadata.managedFields, created.metadata.managedFields);
  assert.equal(entry(again, 'kubectl-client-side-apply')?.time, T0);
});

test('an update records maps, lists and list items it created as owned nodes', () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply');
  const fields = entry(created, 'kubectl-client-side-apply')?.fieldsV1 as Record<
    string,
    Record<string, unknown>
  >;
  assert.deepEqual(fields['f:metadata'], { 'f:labels': { '.': {}, 'f:app': {} } });
  const spec = JSON.stringify(fields['f:spec']);
  assert.ok(spec.includes('"k:{\\"name\\":\\"default\\"}":{".":{}'), spec);
  assert.ok(!spec.startsWith('{".":'), spec);
});

test('an object without managedFields is owned by before-first-apply', () => {
  const error = conflictOf(() => apply(manifest(), manifest({ replicas: 4 })));
  assert.equal(
    error.message,
    'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
  );
});

test('an applied configuration carrying managedFields is a bad request', () => {
  const applied = manifest();
  applied.metadata.managedFields = [
    {
      manager: 'x',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    },
  ];
  assert.equal(conflictOf(() => apply(undefined, applied)).code, 400);
});

test('apply leaves status alone on kinds with a status subresource', () => {
  const live = write(undefined, { ...manifest(), status: { replicas: 1 } }, 'kube-controller-manager');
  const applied = apply(live, { ...manifest(), status: { replicas: 9 } });
  assert.deepEqual(applied['status'], { replicas: 1 });
});

test('Istio lists are atomic under apply except ServiceEntry ports, keyed by number', () => {
  const serviceEntries = resourceTypes.find((r) => r.kind === 'ServiceEntry');
  const destinationRules = resourceTypes.find((r) => r.kind === 'DestinationRule');
  assert.ok(serviceEntries && destinationRules);
  const entry: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'ext', namespace: 'default' },
    spec: { hosts: ['a.example'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }] },
  };
  const created = serverSideApply({
    current: undefined,
    applied: entry,
    fieldManager: 'kubectl',
    force: false,
    resource: serviceEntries,
    now: T0,
  });
  assert.deepEqual((created.metadata.managedFields?.[0]?.fieldsV1 as Record<string, unknown>)['f:spec'], {
    'f:hosts': {},
    'f:ports': { 'k:{"number":443}': { '.': {}, 'f:name': {}, 'f:number': {}, 'f:protocol': {} } },
  });
  const rule: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'r', namespace: 'default' },
    spec: { host: 'mocka', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
  };
  const ruleCreated = serverSideApply({
    current: undefined,
    applied: rule,
    fieldManager: 'kubectl',
    force: false,
    resource: destinationRules,
    now: T0,
  });
  assert.deepEqual((ruleCreated.metadata.managedFields?.[0]?.fieldsV1 as Record<string, unknown>)['f:spec'], {
    'f:host': {},
    'f:subsets': {},
  });
});

test('apply merges keyed list items into the live list, keeping items only the live object has', () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply');
  const injected = structuredClone(created);
  const spec = injected['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } };
  spec.template.spec.containers.push({ name: 'istio-proxy', image: 'proxyv2' });
  const withSidecar = write(created, injected, 'sidecar-injector', T1);
  const applied = apply(withSidecar, manifest({ image: 'sample:v2' }), 'kubectl', true, T2);
  const containers = (applied['spec'] as typeof spec).template.spec.containers;
  assert.deepEqual(
    containers.map((c) => [c['name'], c['image']]),
    [
      ['default', 'sample:v2'],
      ['istio-proxy', 'proxyv2'],
    ],
  );
  assert.equal(entry(applied, 'sidecar-injector')?.operation, 'Update');
});

test('stopping to apply a field removes only what the applier alone owned', () => {
  // As after kubectl's client-side-to-server-side upgrade: the Apply record owns the labels map
  // node itself. Applying `app` alone drops `tier`, keeps the map, and keeps a label nobody owns.
  const live = manifest();
  live.metadata.labels = { app: 'mockb', tier: 'web', unowned: 'x' };
  live.metadata.managedFields = [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:tier': {} } } },
    },
  ];
  const applied = apply(live, manifest());
  assert.deepEqual(applied.metadata.labels, { app: 'mockb', unowned: 'x' });
});

test('an update that removes a field drops it from every record', () => {
  const applied = apply(undefined, manifest({ command: ['sleep', '36000'] }));
  const edited = manifest();
  edited.metadata.managedFields = applied.metadata.managedFields ?? [];
  const stored = write(applied, edited, 'kubectl-edit', T2);
  assert.ok(!JSON.stringify(entry(stored, 'kubectl')?.fieldsV1).includes('f:command'));
  assert.equal(entry(stored, 'kubectl-edit'), undefined, 'a pure removal gains the editor nothing');
  assert.equal(entry(stored, 'kubectl')?.time, T1);
});

test("kubectl's client-side to server-side upgrade (a JSON patch of managedFields) is honoured", () => {
  const created = write(undefined, manifest(), 'kubectl-client-side-apply', T0);
  // kubectl apply --server-side first rewrites the client-side record as its own Apply record
  // (k8s.io/client-go/util/csaupgrade), then applies.
  const upgraded = structuredClone(created.metadata.managedFields ?? []).map((e) => ({
    ...e,
    manager: 'kubectl',
    operation: 'Apply' as const,
  }));
  const patched = applyPatch(
    'json',
    created,
    [{ op: 'replace', path: '/metadata/managedFields', value: upgraded }],
    deployments!,
  );
  const stored = write(created, patched, 'kubectl-client-side-apply', T1);
  assert.deepEqual(stored.metadata.managedFields, upgraded);
  const applied = apply(stored, manifest({ replicas: 3 }), 'kubectl', false, T2);
  assert.equal((applied['spec'] as { replicas: number }).replicas, 3);
  assert.deepEqual(
    applied.metadata.managedFields?.map((e) => [e.manager, e.operation]),
    [['kubectl', 'Apply']],
  );
  assert.deepEqual(applied.metadata.labels, { app: 'mockb' });
});
