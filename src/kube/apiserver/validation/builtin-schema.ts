/**
 * The field set and JSON types of the built-in kinds, read from the OpenAPI-generated models of
 * `@kubernetes/client-node` (Kubernetes 1.34 API; each model lists its fields in
 * `attributeTypeMap`) rather than typed by hand. Walking an object against it finds unknown fields
 * (what kube-apiserver's strict decoder reports as `unknown field "spec.foo"`) and type mismatches
 * (a decoding error: `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas
 * of type int32`).
 */
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { isRecord } from '../../../core/json-shape.js';

interface Attribute {
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

const modelTable = models as unknown as Record<string, unknown>;

function modelOf(name: string): ModelClass | undefined {
  const m = modelTable[name];
  return typeof m === 'function' && 'getAttributeTypeMap' in m ? (m as unknown as ModelClass) : undefined;
}

/** Model names of the kinds we serve. */
const kindModels: Record<string, string> = {
  Namespace: 'V1Namespace',
  Node: 'V1Node',
  Pod: 'V1Pod',
  Service: 'V1Service',
  ConfigMap: 'V1ConfigMap',
  Secret: 'V1Secret',
  Event: 'CoreV1Event',
  EndpointSlice: 'V1EndpointSlice',
  Deployment: 'V1Deployment',
  ReplicaSet: 'V1ReplicaSet',
};

/**
 * Resource quantities (`resource.Quantity`) are strings in the generated models, but the API
 * accepts JSON numbers too (`cpu: 1`); these map fields hold quantities.
 */
const quantityMaps = new Set(['limits', 'requests', 'capacity', 'allocatable', 'overhead']);

export interface SchemaFindings {
  /** Paths of fields the schema does not declare: `spec.template.spec.containers[0].foo`. */
  readonly unknownFields: string[];
  /** Go json decoding errors for values of the wrong JSON type. */
  readonly typeErrors: string[];
}

export function hasBuiltinSchema(kind: string): boolean {
  return kind in kindModels;
}

export function checkBuiltinSchema(kind: string, object: unknown): SchemaFindings {
  const findings: SchemaFindings = { unknownFields: [], typeErrors: [] };
  const modelName = kindModels[kind];
  if (modelName !== undefined) walkModel(modelName, object, '', '', findings);
  return findings;
}

function goStructName(modelName: string): string {
  return modelName.replace(/^(Core|Discovery|Events)?V\d+(alpha\d+|beta\d+)?/, '');
}

function walkModel(
  modelName: string,
  value: unknown,
  path: string,
  goPath: string,
  out: SchemaFindings,
): void {
  const model = modelOf(modelName);
  const attributes = model?.getAttributeTypeMap() ?? [];
  // Models without fields (MicroTime, ...) are scalars in JSON; accept what the decoder would.
  if (attributes.length === 0) return;
  if (value === null) return;
  if (!isRecord(value)) {
    out.typeErrors.push(
      unmarshalError(value, goStructName(modelName), goPath, `v1.${goStructName(modelName)}`),
    );
    return;
  }
  const byName = new Map(attributes.map((a) => [a.baseName, a]));
  for (const [key, child] of Object.entries(value)) {
    const attribute = byName.get(key);
    const childPath = path === '' ? key : `${path}.${key}`;
    const childGoPath = goPath === '' ? key : `${goPath}.${key}`;
    if (attribute === undefined) {
      out.unknownFields.push(childPath);
      continue;
    }
    walkType(
      attribute.type,
      attribute.format,
      child,
      childPath,
      childGoPath,
      goStructName(modelName),
      key,
      out,
    );
  }
}

function walkType(
  type: string,
  format: string,
  value: unknown,
  path: string,
  goPath: string,
  struct: string,
  key: string,
  out: SchemaFindings,
): void {
  if (value === null || type === 'any') return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array !== null) {
    const itemType = array[1] ?? 'any';
    if (!Array.isArray(value)) {
      out.typeErrors.push(unmarshalError(value, struct, goPath, `[]${goTypeName(itemType, format)}`));
      return;
    }
    value.forEach((item, i) => walkType(itemType, format, item, `${path}[${i}]`, goPath, struct, key, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) {
    const valueType = map[1] ?? 'any';
    if (!isRecord(value)) {
      out.typeErrors.push(
        unmarshalError(value, struct, goPath, `map[string]${goTypeName(valueType, format)}`),
      );
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (quantityMaps.has(key)) {
        checkQuantity(v, out);
        continue;
      }
      walkType(valueType, format, v, `${path}[${k}]`, goPath, struct, key, out);
    }
    return;
  }
  switch (type) {
    case 'string':
    case 'Date':
      if (typeof value !== 'string')
        out.typeErrors.push(unmarshalError(value, struct, goPath, goTypeName(type, format)));
      else if (format === 'byte') checkBase64(value, out);
      return;
    case 'number':
      if (typeof value !== 'number' || (format !== 'double' && !Number.isInteger(value)))
        out.typeErrors.push(unmarshalError(value, struct, goPath, goTypeName(type, format)));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.typeErrors.push(unmarshalError(value, struct, goPath, 'bool'));
      return;
    case 'IntOrString':
      if (typeof value !== 'string' && typeof value !== 'number')
        out.typeErrors.push(`${goPath}: cannot unmarshal ${jsonKind(value)} into an int or a string`);
      return;
    default:
      walkModel(type, value, path, goPath, out);
  }
}

function goTypeName(type: string, format: string): string {
  if (type === 'number') return format === 'double' ? 'float64' : format === '' ? 'int64' : format;
  if (type === 'boolean') return 'bool';
  if (type === 'string' && format === 'byte') return '[]uint8';
  if (type === 'string' || type === 'Date') return type === 'Date' ? 'v1.Time' : 'string';
  return `v1.${goStructName(type)}`;
}

function jsonKind(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** Go's `json.UnmarshalTypeError` text: the innermost struct, then the full field path. */
function unmarshalError(value: unknown, struct: string, goPath: string, goType: string): string {
  const where = goPath === '' ? '' : ` Go struct field ${struct}.${goPath}`;
  return `json: cannot unmarshal ${jsonKind(value)} into${where === '' ? ' Go value' : where} of type ${goType}`;
}

const quantityFormat = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** `resource.ParseQuantity` as the decoder applies it: numbers, or strings like `100m`, `1Gi`. */
function checkQuantity(value: unknown, out: SchemaFindings): void {
  if (typeof value === 'number') return;
  if (typeof value !== 'string' || !new RegExp(quantityFormat).test(value))
    out.typeErrors.push(`quantities must match the regular expression '${quantityFormat}'`);
}

/** `[]byte` fields are standard base64 with padding (Go's `encoding/base64`, newlines ignored). */
function checkBase64(value: string, out: SchemaFindings): void {
  const text = value.replace(/[\r\n]/g, '');
  const bad = text.search(/[^A-Za-z0-9+/=]/);
  const padding = text.indexOf('=');
  const misplacedPad = padding !== -1 && !/^={1,2}$/.test(text.slice(padding));
  if (bad !== -1 || misplacedPad || text.length % 4 !== 0) {
    const at = bad !== -1 ? bad : misplacedPad ? padding : text.length - (text.length % 4);
    out.typeErrors.push(`illegal base64 data at input byte ${at}`);
  }
}
