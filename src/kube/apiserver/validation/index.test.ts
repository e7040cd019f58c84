import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, StatusCause } from '../kube-object.js';
import { KubeApiError } from '../kube-object.js';
import { resourceForKind, resourceTypes } from '../resource-registry.js';
import type { FieldValidation } from './index.js';
import { validateObject } from './index.js';

function validate(object: KubeObject, fieldValidation: FieldValidation = 'Strict') {
  const slash = object.apiVersion.indexOf('/');
  const version = slash === -1 ? object.apiVersion : object.apiVersion.slice(slash + 1);
  const resource = resourceForKind(object.apiVersion, object.kind);
  assert.ok(resource, `served: ${object.apiVersion} ${object.kind}`);
  return validateObject(resource, version, object, fieldValidation);
}

function causes(object: KubeObject): StatusCause[] {
  return validate(object).causes;
}

function deployment(patch: (d: KubeObject) => void): KubeObject {
  const d: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
  patch(d);
  return d;
}

function destinationRule(
  outlierDetection: Record<string, unknown>,
  apiVersion = 'networking.istio.io/v1beta1',
): KubeObject {
  return {
    apiVersion,
    kind: 'DestinationRule',
    metadata: { name: 'mocka', namespace: 'default' },
    spec: { host: 'mocka', trafficPolicy: { outlierDetection } },
  };
}

const seedDir = '/work/shared/seed';

describe('validateObject', () => {
  for (const file of ['cluster-1-app.yaml', 'cluster-2-app.yaml', 'destination-rules.yaml']) {
    it(`accepts every object of the seed manifest ${file} under Strict`, () => {
      const docs = parseAllDocuments(readFileSync(`${seedDir}/${file}`, 'utf8'));
      assert.ok(docs.length > 0);
      for (const doc of docs) {
        const object = doc.toJS() as KubeObject;
        object.metadata.namespace = 'default';
        assert.deepEqual(
          validate(object),
          { causes: [], warnings: [] },
          `${object.kind}/${object.metadata.name}`,
        );
      }
    });
  }

  it('refuses consecutiveLocalOriginFailures without splitExternalLocalOriginErrors with Istio message', () => {
    assert.deepEqual(causes(destinationRule({ consecutiveLocalOriginFailures: 1, interval: '30s' })), [
      {
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: 1: outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
        field: 'spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures',
      },
    ]);
  });

  it('without the Istio webhook accepts what only the webhook refuses, and still applies the CRD rules', () => {
    const resource = resourceForKind('networking.istio.io/v1', 'DestinationRule');
    assert.ok(resource);
    const webhookOnly = destinationRule({ consecutiveLocalOriginFailures: 1 }, 'networking.istio.io/v1');
    const crdRule = destinationRule({ interval: '30' }, 'networking.istio.io/v1');
    const off = { isIstioWebhookEnabled: false };
    assert.deepEqual(validateObject(resource, 'v1', webhookOnly, 'Strict', off).causes, []);
    assert.equal(validateObject(resource, 'v1', webhookOnly, 'Strict').causes.length, 1);
    assert.deepEqual(
      validateObject(resource, 'v1', crdRule, 'Strict', off).causes.map((c) => c.field),
      ['spec.trafficPolicy.outlierDetection.interval'],
    );
  });

  it('refuses a maxEjectionPercent over 100 with Istio message', () => {
    assert.deepEqual(causes(destinationRule({ maxEjectionPercent: 150 }, 'networking.istio.io/v1')), [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 150: percentage 150 is not in range 0..100',
        field: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent',
      },
    ]);
  });

  for (const bad of ['5x', '30', '0s', '500us', '']) {
    it(`refuses the malformed or too short duration ${JSON.stringify(bad)} with the CRD rule message`, () => {
      assert.deepEqual(
        causes(destinationRule({ interval: bad, baseEjectionTime: '5m' }, 'networking.istio.io/v1alpha3')),
        [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "string": must be a valid duration greater than 1ms',
            field: 'spec.trafficPolicy.outlierDetection.interval',
          },
        ],
      );
    });
  }

  it('reports only the CRD duration rule when it fails, as the webhook never sees such an object', () => {
    const dr = destinationRule({
      interval: '5x',
      maxEjectionPercent: 150,
      consecutiveLocalOriginFailures: 1,
    });
    assert.deepEqual(
      causes(dr).map((c) => c.field),
      ['spec.trafficPolicy.outlierDetection.interval'],
    );
  });

  it('accepts Go durations such as 1h30m, 1.5s and 100ms', () => {
    for (const good of ['1h30m', '1.5s', '100ms', '5m'])
      assert.deepEqual(causes(destinationRule({ interval: good })), []);
  });

  it('reports a DestinationRule host of the wrong type as the CRD schema does', () => {
    const dr = destinationRule({});
    (dr['spec'] as Record<string, unknown>)['host'] = 5;
    assert.deepEqual(causes(dr), [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": spec.host in body must be of type string: "integer"',
        field: 'spec.host',
      },
    ]);
  });

  it('reports duplicate subset names and a missing host', () => {
    const dr: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'x', namespace: 'default' },
      spec: { subsets: [{ name: 'v1' }, { name: 'v1' }] },
    };
    assert.deepEqual(causes(dr), [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.host' },
    ]);
    (dr['spec'] as Record<string, unknown>)['host'] = 'x';
    assert.deepEqual(causes(dr), [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "v1": duplicate subset names: v1',
        field: 'spec.subsets[1].name',
      },
    ]);
  });

  it('refuses a Deployment whose selector does not match the template labels', () => {
    const d = deployment((o) => {
      (o['spec'] as { selector: unknown }).selector = { matchLabels: { app: 'other' } };
    });
    assert.deepEqual(causes(d), [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      },
    ]);
  });

  it('requires a selector, containers, container names and images', () => {
    const d = deployment((o) => {
      const spec = o['spec'] as Record<string, unknown>;
      delete spec['selector'];
    });
    assert.deepEqual(causes(d), [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' },
    ]);
    const noContainers = deployment((o) => {
      (o['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['containers'] = [];
    });
    assert.deepEqual(causes(noContainers), [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers' },
    ]);
    const blank = deployment((o) => {
      (o['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['containers'] = [{}];
    });
    assert.deepEqual(causes(blank), [
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].name',
      },
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].image',
      },
    ]);
  });

  it('checks replicas, restartPolicy, ports, protocol and names with Kubernetes messages', () => {
    const d = deployment((o) => {
      o.metadata.name = 'Web_1';
      const spec = o['spec'] as { replicas: number; template: { spec: Record<string, unknown> } };
      spec.replicas = -1;
      spec.template.spec['restartPolicy'] = 'Never';
      spec.template.spec['containers'] = [
        { name: 'web', image: 'nginx', ports: [{ containerPort: 70000, protocol: 'HTTP' }] },
        { name: 'web', image: 'nginx' },
      ];
    });
    assert.deepEqual(causes(d), [
      {
        reason: 'FieldValueInvalid',
        message:
          "Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        field: 'metadata.name',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: must be greater than or equal to 0',
        field: 'spec.replicas',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
        field: 'spec.template.spec.containers[0].ports[0].containerPort',
      },
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        field: 'spec.template.spec.containers[0].ports[0].protocol',
      },
      {
        reason: 'FieldValueDuplicate',
        message: 'Duplicate value: "web"',
        field: 'spec.template.spec.containers[1].name',
      },
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Never": supported values: "Always"',
        field: 'spec.template.spec.restartPolicy',
      },
    ]);
  });

  it('checks label keys and values at the labels path', () => {
    const d = deployment((o) => {
      o.metadata.labels = { 'bad key!': 'ok', good: '-bad' };
    });
    const found = causes(d);
    assert.deepEqual(
      found.map((c) => [c.field, c.message.slice(0, 40)]),
      [
        ['metadata.labels', 'Invalid value: "bad key!": name part mus'],
        ['metadata.labels', 'Invalid value: "-bad": a valid label mus'],
      ],
    );
  });

  it('checks Service type, port range and port names', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { type: 'Internal', ports: [{ port: 0 }, { port: 80, name: 'http' }], selector: { app: 'web' } },
    };
    assert.deepEqual(causes(svc), [
      {
        reason: 'FieldValueNotSupported',
        message:
          'Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
        field: 'spec.type',
      },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports[0].name' },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
        field: 'spec.ports[0].port',
      },
    ]);
  });

  it('refuses unknown fields of a built-in kind under Strict as a 400 strict decoding error', () => {
    const d = deployment((o) => {
      (o['spec'] as Record<string, unknown>)['foo'] = 1;
      ((o['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
        .containers[0] ?? {})['imagee'] = 'x';
    });
    assert.throws(
      () => validate(d, 'Strict'),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.code === 400 &&
        e.reason === 'BadRequest' &&
        e.message ===
          'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagee", unknown field "spec.foo"',
    );
    assert.deepEqual(validate(d, 'Warn'), {
      causes: [],
      // In the order the decoder meets them: spec.foo was added after spec.template.
      warnings: ['unknown field "spec.template.spec.containers[0].imagee"', 'unknown field "spec.foo"'],
    });
    assert.deepEqual(validate(d, 'Ignore'), { causes: [], warnings: [] });
  });

  it('reports unknown fields of an Istio kind, keeping free-form fields such as status', () => {
    const dr = destinationRule({ interval: '30s', intervall: '5s' });
    dr['status'] = { anything: { goes: 1 } };
    assert.deepEqual(validate(dr, 'Warn').warnings, [
      'unknown field "spec.trafficPolicy.outlierDetection.intervall"',
    ]);
    assert.throws(
      () => validate(dr, 'Strict'),
      (e: unknown) => e instanceof KubeApiError && e.code === 400,
    );
  });

  it('accepts what the server itself fills in: managed fields, owner references, status, quantities', () => {
    const d = deployment((o) => {
      Object.assign(o.metadata, {
        uid: '6a1e0d8e-1',
        resourceVersion: '12',
        generation: 2,
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        finalizers: ['example.com/keep'],
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u1', controller: true },
        ],
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Apply',
            apiVersion: 'apps/v1',
            time: '2026-01-01T00:00:00Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:replicas': {} } },
          },
        ],
      });
      o['status'] = {
        observedGeneration: 2,
        replicas: 1,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            lastUpdateTime: '2026-01-01T00:00:00Z',
            reason: 'MinimumReplicasAvailable',
          },
        ],
      };
      const container = (o['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
        .template.spec.containers[0];
      assert.ok(container);
      container['resources'] = { limits: { cpu: 1, memory: '128Mi' }, requests: { cpu: '100m' } };
      container['readinessProbe'] = { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 };
      (o['spec'] as Record<string, unknown>)['strategy'] = {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
      };
    });
    assert.deepEqual(validate(d, 'Strict'), { causes: [], warnings: [] });
  });

  it('reports top-level unknown fields of an Istio kind', () => {
    const dr = destinationRule({ interval: '30s' });
    dr['specs'] = {};
    assert.deepEqual(validate(dr, 'Warn').warnings, ['unknown field "specs"']);
  });

  it('refuses a value of the wrong JSON type in a built-in kind as a decoding error', () => {
    const d = deployment((o) => {
      (o['spec'] as Record<string, unknown>)['replicas'] = 'three';
    });
    assert.throws(
      () => validate(d, 'Ignore'),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.code === 400 &&
        e.message ===
          'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });

  it('refuses malformed base64 in Secret data and malformed quantities as decoding errors', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'default' },
      data: { ok: 'aGk=', bad: 'not base64!' },
    };
    assert.throws(
      () => validate(secret),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.code === 400 &&
        e.message ===
          'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
    const d = deployment((o) => {
      const c = (o['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
        .containers[0];
      assert.ok(c);
      c['resources'] = { limits: { cpu: 'lots' } };
    });
    assert.throws(
      () => validate(d),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.code === 400 &&
        e.message.endsWith(
          "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    );
  });

  it('accepts an empty name while generateName is set, and checks the prefix with a trailing dash allowed', () => {
    const pod = (metadata: Record<string, unknown>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default', ...metadata },
      spec: { containers: [{ name: 'a', image: 'busybox' }] },
    });
    assert.deepEqual(causes(pod({ generateName: 'web-' })), []);
    assert.deepEqual(causes(pod({})), [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ]);
    assert.deepEqual(
      causes(pod({ generateName: 'Web-' })).map((c) => c.field),
      ['metadata.generateName'],
    );
  });

  it('prints an absent template label map as a typed nil', () => {
    const d = deployment((o) => {
      delete (o['spec'] as { template: { metadata?: unknown } }).template.metadata;
    });
    assert.deepEqual(
      causes(d).map((c) => c.message),
      ['Invalid value: map[string]string(nil): `selector` does not match template `labels`'],
    );
  });

  it('validates every served kind without throwing on a minimal object', () => {
    for (const resource of resourceTypes) {
      const object: KubeObject = { apiVersion: 'x', kind: resource.kind, metadata: { name: 'a' } };
      if (resource.namespaced) object.metadata.namespace = 'default';
      const result = validateObject(resource, resource.versions[0] ?? 'v1', object, 'Strict');
      assert.ok(Array.isArray(result.causes));
    }
  });
});
