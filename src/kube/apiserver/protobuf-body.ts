/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into JSON
 * objects. Since client-go 1.31 the typed clients send protobuf for built-in kinds (kubernetes PR
 * 125314), so kubectl's generators - `kubectl create namespace|configmap|secret|deployment|service`,
 * `kubectl run`, `kubectl expose` - POST protobuf; everything else kubectl sends is JSON.
 *
 * Envelope (apimachinery `runtime/serializer/protobuf`): the 4 bytes `k8s\0`, then a
 * `runtime.Unknown` {1: TypeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4:
 * contentType}; `raw` is the object as `k8s.io/api` `generated.proto` defines it. Only the kinds and
 * fields those generators set are described here (field numbers from `core/v1` and `apps/v1`
 * generated.proto). go-to-protobuf writes every non-pointer field, empty or not, so empty values of
 * non-pointer fields are dropped (as JSON `omitempty` would) and an unknown field is skipped when
 * it carries nothing; an unknown field with content is refused with 415 rather than silently lost.
 */
import { KubeApiError } from './kube-object.js';

type Scalar = 's' | 'i' | 'b' | 'y' | 't' | 'q' | 'ios';
type Kind = Scalar | { readonly m: Schema } | { readonly map: 's' | 'y' | 'q' };
interface Field {
  readonly name: string;
  readonly kind: Kind;
  readonly isRepeated?: boolean;
  /** A Go pointer field: present means set, so zero values are kept. */
  readonly isPointer?: boolean;
}
interface Schema {
  readonly name: string;
  readonly fields: Readonly<Record<number, Field>>;
}

const f = (name: string, kind: Kind, extra: Partial<Field> = {}): Field => ({ name, kind, ...extra });
const list = (name: string, kind: Kind): Field => f(name, kind, { isRepeated: true });
const ptr = (name: string, kind: Kind): Field => f(name, kind, { isPointer: true });
const msg = (name: string, fields: Record<number, Field>): { m: Schema } => ({ m: { name, fields } });

const objectMeta = msg('ObjectMeta', {
  1: f('name', 's'),
  2: f('generateName', 's'),
  3: f('namespace', 's'),
  5: f('uid', 's'),
  6: f('resourceVersion', 's'),
  7: f('generation', 'i'),
  8: f('creationTimestamp', 't'),
  9: f('deletionTimestamp', 't'),
  10: ptr('deletionGracePeriodSeconds', 'i'),
  11: f('labels', { map: 's' }),
  12: f('annotations', { map: 's' }),
  14: list('finalizers', 's'),
});
const labelSelector = msg('LabelSelector', {
  1: f('matchLabels', { map: 's' }),
  2: list(
    'matchExpressions',
    msg('LabelSelectorRequirement', { 1: f('key', 's'), 2: f('operator', 's'), 3: list('values', 's') }),
  ),
});
const container = msg('Container', {
  1: f('name', 's'),
  2: f('image', 's'),
  3: list('command', 's'),
  4: list('args', 's'),
  5: f('workingDir', 's'),
  6: list(
    'ports',
    msg('ContainerPort', {
      1: f('name', 's'),
      2: f('hostPort', 'i'),
      3: f('containerPort', 'i'),
      4: f('protocol', 's'),
      5: f('hostIP', 's'),
    }),
  ),
  7: list('env', msg('EnvVar', { 1: f('name', 's'), 2: f('value', 's') })),
  8: f(
    'resources',
    msg('ResourceRequirements', { 1: f('limits', { map: 'q' }), 2: f('requests', { map: 'q' }) }),
  ),
  13: f('terminationMessagePath', 's'),
  14: f('imagePullPolicy', 's'),
  16: f('stdin', 'b'),
  17: f('stdinOnce', 'b'),
  18: f('tty', 'b'),
  20: f('terminationMessagePolicy', 's'),
});
const podSpec = msg('PodSpec', {
  2: list('containers', container),
  3: f('restartPolicy', 's'),
  4: ptr('terminationGracePeriodSeconds', 'i'),
  5: ptr('activeDeadlineSeconds', 'i'),
  6: f('dnsPolicy', 's'),
  7: f('nodeSelector', { map: 's' }),
  8: f('serviceAccountName', 's'),
  9: f('serviceAccount', 's'),
  10: f('nodeName', 's'),
  11: f('hostNetwork', 'b'),
  12: f('hostPID', 'b'),
  13: f('hostIPC', 'b'),
  16: f('hostname', 's'),
  17: f('subdomain', 's'),
  19: f('schedulerName', 's'),
  20: list('initContainers', container),
  24: f('priorityClassName', 's'),
  25: ptr('priority', 'i'),
  30: ptr('enableServiceLinks', 'b'),
});
// Status is the server's to set; a create carries it empty.
const emptyStatus = msg('Status', { 1: f('phase', 's') });
const podTemplate = msg('PodTemplateSpec', { 1: f('metadata', objectMeta), 2: f('spec', podSpec) });

const kinds: Record<string, Schema> = {
  'v1/ConfigMap': msg('ConfigMap', {
    1: f('metadata', objectMeta),
    2: f('data', { map: 's' }),
    3: f('binaryData', { map: 'y' }),
    4: ptr('immutable', 'b'),
  }).m,
  'v1/Secret': msg('Secret', {
    1: f('metadata', objectMeta),
    2: f('data', { map: 'y' }),
    3: f('type', 's'),
    4: f('stringData', { map: 's' }),
    5: ptr('immutable', 'b'),
  }).m,
  'v1/Namespace': msg('Namespace', {
    1: f('metadata', objectMeta),
    2: f('spec', msg('NamespaceSpec', { 1: list('finalizers', 's') })),
    3: f('status', emptyStatus),
  }).m,
  'v1/Pod': msg('Pod', { 1: f('metadata', objectMeta), 2: f('spec', podSpec), 3: f('status', emptyStatus) })
    .m,
  'v1/Service': msg('Service', {
    1: f('metadata', objectMeta),
    2: f(
      'spec',
      msg('ServiceSpec', {
        1: list(
          'ports',
          msg('ServicePort', {
            1: f('name', 's'),
            2: f('protocol', 's'),
            3: f('port', 'i'),
            4: f('targetPort', 'ios'),
            5: f('nodePort', 'i'),
            6: f('appProtocol', 's'),
          }),
        ),
        2: f('selector', { map: 's' }),
        3: f('clusterIP', 's'),
        4: f('type', 's'),
        5: list('externalIPs', 's'),
        7: f('sessionAffinity', 's'),
        10: f('externalName', 's'),
        11: f('externalTrafficPolicy', 's'),
        17: f('ipFamilyPolicy', 's'),
        18: list('clusterIPs', 's'),
        19: list('ipFamilies', 's'),
        22: f('internalTrafficPolicy', 's'),
      }),
    ),
    3: f('status', msg('ServiceStatus', {})),
  }).m,
  'apps/v1/Deployment': msg('Deployment', {
    1: f('metadata', objectMeta),
    2: f(
      'spec',
      msg('DeploymentSpec', {
        1: ptr('replicas', 'i'),
        2: f('selector', labelSelector),
        3: f('template', podTemplate),
        4: f(
          'strategy',
          msg('DeploymentStrategy', {
            1: f('type', 's'),
            2: f(
              'rollingUpdate',
              msg('RollingUpdateDeployment', { 1: ptr('maxUnavailable', 'ios'), 2: ptr('maxSurge', 'ios') }),
            ),
          }),
        ),
        5: f('minReadySeconds', 'i'),
        6: ptr('revisionHistoryLimit', 'i'),
        7: f('paused', 'b'),
        9: ptr('progressDeadlineSeconds', 'i'),
      }),
    ),
    3: f('status', msg('DeploymentStatus', {})),
  }).m,
};

interface WireField {
  readonly number: number;
  readonly wireType: number;
  readonly varint?: bigint;
  readonly bytes?: Buffer;
}

function malformed(why: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', `the protobuf request body could not be decoded: ${why}`);
}

/** Splits a message into its fields (wire types 0, 1, 2 and 5). */
function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= buf.length) throw malformed('truncated varint');
      const byte = buf[pos++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw malformed('varint too long');
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) out.push({ number, wireType, varint: varint() });
    else if (wireType === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw malformed('truncated field');
      out.push({ number, wireType, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wireType === 1 || wireType === 5) {
      const len = wireType === 1 ? 8 : 4;
      if (pos + len > buf.length) throw malformed('truncated field');
      out.push({ number, wireType, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else throw malformed(`unsupported wire type ${wireType}`);
  }
  return out;
}

/** Whether an unknown field carries nothing (zero varint, or bytes that are an all-empty message). */
function isEmptyField(field: WireField): boolean {
  if (field.varint !== undefined) return field.varint === 0n;
  const bytes = field.bytes ?? Buffer.alloc(0);
  if (bytes.length === 0) return true;
  if (field.wireType !== 2) return bytes.every((b) => b === 0);
  try {
    return readFields(bytes).every(isEmptyField);
  } catch {
    return false;
  }
}

const int64 = (v: bigint | undefined): number => Number(BigInt.asIntN(64, v ?? 0n));

function decodeMap(
  fields: WireField[],
  name: string,
  valueKind: 's' | 'y' | 'q',
  target: Record<string, unknown>,
): void {
  const map = (target[name] ?? {}) as Record<string, unknown>;
  for (const entry of fields) {
    let key = '';
    let value: unknown = valueKind === 'y' ? '' : '';
    for (const part of readFields(entry.bytes ?? Buffer.alloc(0))) {
      if (part.number === 1) key = (part.bytes ?? Buffer.alloc(0)).toString('utf8');
      else if (part.number === 2) {
        const bytes = part.bytes ?? Buffer.alloc(0);
        if (valueKind === 's') value = bytes.toString('utf8');
        else if (valueKind === 'y') value = bytes.toString('base64');
        else
          value = (readFields(bytes).find((q) => q.number === 1)?.bytes ?? Buffer.alloc(0)).toString('utf8');
      }
    }
    map[key] = value;
  }
  target[name] = map;
}

function decodeScalar(kind: Scalar, field: WireField): unknown {
  const bytes = field.bytes ?? Buffer.alloc(0);
  switch (kind) {
    case 's':
      return bytes.toString('utf8');
    case 'i':
      return int64(field.varint);
    case 'b':
      return field.varint !== undefined && field.varint !== 0n;
    case 'y':
      return bytes.toString('base64');
    case 't': {
      const seconds = int64(readFields(bytes).find((p) => p.number === 1)?.varint);
      return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    }
    case 'q':
      return (readFields(bytes).find((p) => p.number === 1)?.bytes ?? Buffer.alloc(0)).toString('utf8');
    case 'ios': {
      const parts = readFields(bytes);
      const isString = int64(parts.find((p) => p.number === 1)?.varint) === 1;
      return isString
        ? (parts.find((p) => p.number === 3)?.bytes ?? Buffer.alloc(0)).toString('utf8')
        : int64(parts.find((p) => p.number === 2)?.varint);
    }
  }
}

function isZero(value: unknown): boolean {
  return value === undefined || value === '' || value === 0 || value === false;
}

function decodeMessage(schema: Schema, buf: Buffer, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = readFields(buf);
  const maps = new Map<number, WireField[]>();
  for (const field of fields) {
    const spec = schema.fields[field.number];
    if (spec === undefined) {
      if (isEmptyField(field)) continue;
      throw new KubeApiError(
        415,
        'UnsupportedMediaType',
        `the lab API server cannot decode protobuf field ${field.number} of ${schema.name} (${path}); send the object as JSON instead (for example with kubectl apply -f)`,
        {},
      );
    }
    const kind = spec.kind;
    if (typeof kind === 'object' && 'map' in kind) {
      maps.set(field.number, [...(maps.get(field.number) ?? []), field]);
      continue;
    }
    const value =
      typeof kind === 'object'
        ? decodeMessage(kind.m, field.bytes ?? Buffer.alloc(0), `${path}.${spec.name}`)
        : decodeScalar(kind, field);
    if (spec.isRepeated === true) {
      out[spec.name] = [...((out[spec.name] as unknown[] | undefined) ?? []), value];
    } else if (spec.isPointer === true ? value !== undefined : !isZero(value)) {
      out[spec.name] = value;
    }
  }
  for (const [number, entries] of maps) {
    const spec = schema.fields[number];
    if (spec !== undefined && typeof spec.kind === 'object' && 'map' in spec.kind) {
      decodeMap(entries, spec.name, spec.kind.map, out);
    }
  }
  return out;
}

export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') {
    throw malformed('missing the k8s protobuf envelope');
  }
  const unknown = readFields(body.subarray(4));
  const typeMeta = readFields(unknown.find((u) => u.number === 1)?.bytes ?? Buffer.alloc(0));
  const apiVersion = (typeMeta.find((t) => t.number === 1)?.bytes ?? Buffer.alloc(0)).toString('utf8');
  const kind = (typeMeta.find((t) => t.number === 2)?.bytes ?? Buffer.alloc(0)).toString('utf8');
  const raw = unknown.find((u) => u.number === 2)?.bytes ?? Buffer.alloc(0);
  const schema = kinds[`${apiVersion}/${kind}`];
  if (schema === undefined) {
    throw new KubeApiError(
      415,
      'UnsupportedMediaType',
      `the lab API server cannot decode ${kind} (${apiVersion}) from protobuf; send it as JSON instead`,
      {},
    );
  }
  return { apiVersion, kind, ...decodeMessage(schema, raw, kind) };
}
