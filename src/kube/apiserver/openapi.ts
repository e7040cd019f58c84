/**
 * OpenAPI, only as far as kubectl needs it. kubectl (`--validate=strict`, the default) asks
 * `/openapi/v3` whether the server supports the `fieldValidation` query parameter on PATCH for the
 * object's group-version-kind (cli-runtime `resource/query_param_verifier_v3.go`); when it does,
 * kubectl leaves validation to the server instead of downloading schemas. So the documents here list
 * the operations of each group version with their query parameters and GVK extension, and no
 * schemas, and `kubectl explain` reports that no schema is available.
 *
 * `/openapi/v2` is an empty Swagger document (no definitions): kubectl's verifier always answers
 * "unsupported" for a `v1 List`, so `kubectl apply -f` of a List validates it client-side against
 * v2, which skips kinds without a definition; kubectl then computes strategic merge patches from
 * its compiled-in types, as without a v2 document.
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

/** The 404 for unknown OpenAPI documents, saying why. */
export function openApiNotServed(path: string): KubeApiError {
  return new KubeApiError(
    404,
    'NotFound',
    `the lab API server does not serve OpenAPI schemas (${path}); kubectl explain is not supported`,
    {},
  );
}

/**
 * The media type of `/openapi/v2` as protobuf (gnostic's `openapi_v2.Document`). kubectl asks for
 * the deprecated `...spec.v2@v1.0+protobuf` but cannot parse an `@` in the answer's Content-Type,
 * so kube-openapi answers with this spelling.
 */
export const openApiV2ProtobufType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const v2Info = { title: 'Kubernetes (spillway lab)', version: 'v1.32.0' };

/** `/openapi/v2` as JSON: a Swagger 2.0 document without paths or definitions. */
export function openApiV2Document(): Record<string, unknown> {
  return { swagger: '2.0', info: v2Info, paths: {}, definitions: {} };
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** One length-delimited protobuf field (wire type 2: a string or an embedded message). */
function field(number: number, payload: Buffer | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/**
 * The same document as `openapi_v2.Document` protobuf: swagger = 1, info = 2 (title = 1,
 * version = 2), paths = 8, definitions = 9 (both empty messages).
 */
export function openApiV2Protobuf(): Buffer {
  return Buffer.concat([
    field(1, '2.0'),
    field(2, Buffer.concat([field(1, v2Info.title), field(2, v2Info.version)])),
    field(8, Buffer.alloc(0)),
    field(9, Buffer.alloc(0)),
  ]);
}
