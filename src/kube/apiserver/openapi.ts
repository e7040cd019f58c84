/**
 * OpenAPI, only as far as kubectl needs it. kubectl (`--validate=strict`, the default) asks
 * `/openapi/v3` whether the server supports the `fieldValidation` query parameter on PATCH for the
 * object's group-version-kind (cli-runtime `resource/query_param_verifier_v3.go`); when it does,
 * kubectl leaves validation to the server instead of downloading schemas. So the documents here list
 * the operations of each group version with their query parameters and GVK extension, and no
 * schemas: `/openapi/v2` is not served (kubectl then computes strategic merge patches from its
 * compiled-in types) and `kubectl explain` reports that no schema is available.
 */
import { apiVersionOf, KubeApiError, type ResourceType } from './kube-object.js';
import { resourceTypes } from './resource-registry.js';

const writeParams = ['dryRun', 'fieldManager', 'fieldValidation'];

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resourceTypes) {
    for (const v of r.versions) seen.set(gvPath(r.group, v), { group: r.group, version: v });
  }
  return [...seen.values()];
}

/** `/openapi/v3`: the index of group-version documents. */
export function openApiV3Index(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of groupVersions()) {
    const path = gvPath(group, version);
    // The hash only has to change when the document does; the set of served kinds is fixed per build.
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=spillway-${version}` };
  }
  return { paths };
}

function operation(
  r: ResourceType,
  version: string,
  verb: string,
  params: readonly string[],
): Record<string, unknown> {
  return {
    operationId: `${verb}${r.kind}`,
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': { group: r.group, version, kind: r.kind },
    parameters: params.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } })),
    responses: { '200': { description: 'OK' } },
  };
}

/** `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`; undefined when not served. */
export function openApiV3Document(path: string): Record<string, unknown> | undefined {
  const gv = groupVersions().find(({ group, version }) => `/openapi/v3/${gvPath(group, version)}` === path);
  if (gv === undefined) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of resourceTypes.filter((x) => x.group === gv.group && x.versions.includes(gv.version))) {
    const base = `/${gvPath(gv.group, gv.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    paths[base] = {
      get: operation(r, gv.version, 'list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch']),
      post: operation(r, gv.version, 'post', writeParams),
    };
    paths[`${base}/{name}`] = {
      get: operation(r, gv.version, 'get', []),
      put: operation(r, gv.version, 'put', writeParams),
      patch: operation(r, gv.version, 'patch', [...writeParams, 'force']),
      delete: operation(r, gv.version, 'delete', ['dryRun', 'propagationPolicy']),
    };
  }
  return {
    openapi: '3.0.0',
    info: {
      title: 'Kubernetes (spillway lab)',
      version: `v1.32.0 ${apiVersionOfGroup(gv.group, gv.version)}`,
    },
    paths,
    components: { schemas: {} },
  };
}

function apiVersionOfGroup(group: string, version: string): string {
  const r = resourceTypes.find((x) => x.group === group);
  return r === undefined ? version : apiVersionOf(r, version);
}

/** The 404 for `/openapi/v2` and unknown documents, saying why. */
export function openApiNotServed(path: string): KubeApiError {
  return new KubeApiError(
    404,
    'NotFound',
    `the lab API server does not serve OpenAPI schemas (${path}); kubectl explain is not supported`,
    {},
  );
}
