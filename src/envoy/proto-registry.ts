/**
 * Envoy's real v3 API protos, loaded once with protobufjs reflection. The `.proto` files ship with
 * `@grpc/grpc-js-xds` (`deps/{envoy-api,xds,googleapis,protoc-gen-validate}`); we load the bootstrap
 * closure plus the extensions Spillway implements up front (~260 ms, lazily on first use), and any
 * other Envoy type on demand when an `Any` names it, so that unsupported-but-real extensions are told
 * apart from misspelled type URLs.
 */
// proto-loader registers google/protobuf/descriptor.proto with protobufjs, which the Envoy and PGV
// option extensions import.
import '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';
import { addIstioExtensionTypes } from './istio-extension-protos.js';
import { indexProtoTypes } from './proto-type-index.js';

export type ProtoType = protobuf.Type;
export type ProtoEnum = protobuf.Enum;
export type ProtoField = protobuf.Field;

/** The files loaded eagerly: everything a Spillway bootstrap can legitimately contain. */
const eagerFiles: readonly string[] = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
];

const includeSubdirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'] as const;

let root: protobuf.Root | undefined;
let typeFiles: ReadonlyMap<string, string> | undefined;

/** The directories searched for imports, in order. */
export function protoIncludeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const depsDir = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return includeSubdirs.map((sub) => path.join(depsDir, sub));
}

function createRoot(): protobuf.Root {
  const dirs = protoIncludeDirs();
  const created = new protobuf.Root();
  created.resolvePath = (_origin: string, target: string): string | null => {
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // Unresolved names fall through to protobufjs, which serves google/protobuf/* from its bundle.
    return target;
  };
  created.loadSync([...eagerFiles], { keepCase: true });
  addIstioExtensionTypes(created);
  created.resolveAll();
  return created;
}

/**
 * Drops the loaded protos (tens of MB) once no more configuration will be validated, e.g. after a
 * static bootstrap was loaded; a later lookup loads them again.
 */
export function releaseEnvoyProtoRoot(): void {
  root = undefined;
  typeFiles = undefined;
}

/** The shared root, loaded on first use. */
export function envoyProtoRoot(): protobuf.Root {
  root ??= createRoot();
  return root;
}

function lookupLoaded(loaded: protobuf.Root, fullName: string): protobuf.Type | undefined {
  const found = loaded.lookup(fullName.startsWith('.') ? fullName : `.${fullName}`);
  return found instanceof protobuf.Type ? found : undefined;
}

/**
 * The message type with this full name (`envoy.config.cluster.v3.Cluster`), loading the file that
 * declares it if it is a real API type not loaded yet; undefined if no shipped proto declares it.
 */
export function lookupMessageType(fullName: string): ProtoType | undefined {
  const loaded = envoyProtoRoot();
  const name = fullName.replace(/^\./, '');
  const existing = lookupLoaded(loaded, name);
  if (existing !== undefined) return existing;
  typeFiles ??= indexProtoTypes(protoIncludeDirs().slice(0, 2));
  const file = typeFiles.get(name);
  if (file === undefined) return undefined;
  loaded.loadSync(file, { keepCase: true });
  loaded.resolveAll();
  return lookupLoaded(loaded, name);
}

/** True if the reflected type is an enum (protobufjs has no discriminant property). */
export function isProtoEnum(value: unknown): value is ProtoEnum {
  return value instanceof protobuf.Enum;
}

/** True if the reflected type is a message. */
export function isProtoType(value: unknown): value is ProtoType {
  return value instanceof protobuf.Type;
}

/** The key type of a map field (`string` for every Envoy map). */
export function mapKeyType(field: ProtoField): string {
  return field instanceof protobuf.MapField ? field.keyType : 'string';
}
