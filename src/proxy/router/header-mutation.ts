/**
 * `request_headers_to_add/remove` and `response_headers_to_add/remove` at the weighted-cluster, route,
 * virtual-host and route-configuration levels (Envoy `source/common/router/header_parser.cc`
 * `HeaderParser::evaluateHeaders`, `config_impl.cc` `finalizeRequestHeaders` / `getHeaderParsers`,
 * `weighted_cluster_specifier.cc` `WeightedClusterEntry::finalizeRequestHeaders`).
 *
 * One level is applied in three steps, as Envoy does:
 *   1. remove every `*_headers_to_remove` name;
 *   2. format every value against the headers as they are now (so `%REQ(x)%` sees the removals but none
 *      of this level's additions), and skip values that format to `""` (Envoy's default
 *      `keep_empty_value: false`); decide `ADD_IF_ABSENT` against these same headers;
 *   3. apply all overwrites (`append: false`), then all appends.
 * Levels run one after the other: weighted cluster first, then, by default, route -> virtual host ->
 * route configuration, so on conflicting overwrites the route configuration wins. With
 * `most_specific_header_mutations_wins: true` the order is route configuration -> virtual host -> route.
 *
 * `HeaderMap` holds one string per name, so an append to an existing header joins the values with `,`,
 * which is also how Envoy matches and forwards multi-valued headers (`getAllOfHeaderAsString`).
 *
 * Value formatting (Envoy runs header values through the access-log substitution formatter with empty
 * values omitted). Supported here: `%%` (a literal `%`), `%DOWNSTREAM_REMOTE_ADDRESS%`,
 * `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%`, `%DOWNSTREAM_LOCAL_ADDRESS%`,
 * `%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%`, `%PROTOCOL%`, `%ROUTE_NAME%`, `%REQUEST_ID%`
 * (`x-request-id`), `%REQ(name)%`, `%REQ(name?alt)%` and `%REQ(...)%:N` (truncated to N characters).
 * Every other `%...%` is left in the value literally (Envoy would reject such a config at load time).
 */
import type {
  HeaderValueOptionConfig,
  RouteConfigEntry,
  RouteConfiguration,
  VirtualHostConfig,
  WeightedClusterConfig,
} from '../config/route-config.js';
import type { HeaderMap, HttpProtocol } from '../http/stream-info.js';
import { asciiLowerCase } from './route-matcher.js';
import { hostPortStart } from './virtual-host-selector.js';

/** What header value formatters may read. A `StreamInfo` satisfies it. */
export interface HeaderFormatterContext {
  readonly downstreamRemoteAddress: string;
  readonly downstreamLocalAddress: string;
  readonly protocol: HttpProtocol;
  readonly routeName: string;
  /**
   * For response header mutations: the request headers that `%REQ(...)%` and `%REQUEST_ID%` read. Leave
   * undefined for request header mutations: then the map being mutated is read, as Envoy does (so a
   * header removed by an earlier level formats as empty).
   */
  readonly requestHeadersForResponse?: HeaderMap | undefined;
}

export interface HeaderMutationLayer {
  readonly toAdd: readonly HeaderValueOptionConfig[];
  readonly toRemove: readonly string[];
}

type Command = (headers: HeaderMap, ctx: HeaderFormatterContext) => string;
type Segment = string | Command;

/** A formatted value: its literal pieces and formatter commands. */
type CompiledTemplate = readonly Segment[];

const COMMAND = /^%([A-Z0-9_]+)(?:\(([^)]*)\))?(?::([0-9]+))?%/;

function addressWithoutPort(address: string): string {
  const portStart = hostPortStart(address);
  const host = portStart === -1 ? address : address.slice(0, portStart);
  // Envoy prints an IPv6 address without brackets here (`Ip::addressAsString`).
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function commandFor(name: string, arg: string | undefined): Command | undefined {
  switch (name) {
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return (_h, ctx) => ctx.downstreamRemoteAddress;
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (_h, ctx) => addressWithoutPort(ctx.downstreamRemoteAddress);
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return (_h, ctx) => ctx.downstreamLocalAddress;
    case 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT':
      return (_h, ctx) => addressWithoutPort(ctx.downstreamLocalAddress);
    case 'PROTOCOL':
      return (_h, ctx) => ctx.protocol;
    case 'ROUTE_NAME':
      return (_h, ctx) => ctx.routeName;
    case 'REQUEST_ID':
      return (h, ctx) => (ctx.requestHeadersForResponse ?? h).get('x-request-id') ?? '';
    case 'REQ': {
      if (arg === undefined || arg === '') return undefined;
      const [main, alternative] = arg.split('?', 2).map(asciiLowerCase);
      if (main === undefined) return undefined;
      return (h, ctx) => {
        const source = ctx.requestHeadersForResponse ?? h;
        return source.get(main) ?? (alternative === undefined ? undefined : source.get(alternative)) ?? '';
      };
    }
    default:
      return undefined;
  }
}

function compileTemplate(template: string): CompiledTemplate {
  const segments: Segment[] = [];
  let literal = '';
  let pos = 0;
  while (pos < template.length) {
    const ch = template[pos] as string;
    if (ch !== '%') {
      literal += ch;
      pos++;
      continue;
    }
    if (template[pos + 1] === '%') {
      literal += '%';
      pos += 2;
      continue;
    }
    const match = COMMAND.exec(template.slice(pos));
    const command = match === null ? undefined : commandFor(match[1] as string, match[2]);
    if (match === null || command === undefined) {
      // Unsupported or malformed: keep the `%` as text and carry on after it.
      literal += ch;
      pos++;
      continue;
    }
    if (literal !== '') segments.push(literal);
    literal = '';
    const maxLength = match[3] === undefined ? undefined : Number(match[3]);
    segments.push(maxLength === undefined ? command : (h, ctx) => command(h, ctx).slice(0, maxLength));
    pos += match[0].length;
  }
  if (literal !== '' || segments.length === 0) segments.push(literal);
  return segments;
}

function render(compiled: CompiledTemplate, headers: HeaderMap, ctx: HeaderFormatterContext): string {
  let out = '';
  for (const segment of compiled) out += typeof segment === 'string' ? segment : segment(headers, ctx);
  return out;
}

/** `template` with its supported `%COMMAND%`s substituted (see the file comment). */
export function formatHeaderValue(template: string, headers: HeaderMap, ctx: HeaderFormatterContext): string {
  return template.includes('%') ? render(compileTemplate(template), headers, ctx) : template;
}

// Compiled per config object, so templates of replaced route configurations are garbage-collected.
const compiledValues = new WeakMap<HeaderValueOptionConfig, CompiledTemplate>();

function formatOptionValue(
  option: HeaderValueOptionConfig,
  headers: HeaderMap,
  ctx: HeaderFormatterContext,
): string {
  if (!option.value.includes('%')) return option.value;
  let compiled = compiledValues.get(option);
  if (compiled === undefined) {
    compiled = compileTemplate(option.value);
    compiledValues.set(option, compiled);
  }
  return render(compiled, headers, ctx);
}

/** Envoy rejects `:`-prefixed names and `host` in headers_to_add/remove at load time; never touch them. */
function isModifiable(name: string): boolean {
  return !name.startsWith(':') && name !== 'host';
}

/** One level's removals and additions (see the file comment for the exact steps). */
export function applyHeaderMutations(
  headers: HeaderMap,
  toAdd: readonly HeaderValueOptionConfig[],
  toRemove: readonly string[],
  ctx: HeaderFormatterContext,
): void {
  for (const rawName of toRemove) {
    const name = asciiLowerCase(rawName);
    if (isModifiable(name)) headers.delete(name);
  }
  if (toAdd.length === 0) return;
  const overwrites: [string, string][] = [];
  const appends: [string, string][] = [];
  for (const option of toAdd) {
    const name = asciiLowerCase(option.key);
    if (!isModifiable(name)) continue;
    const value = formatOptionValue(option, headers, ctx);
    if (value === '') continue;
    if (option.onlyIfAbsent) {
      // Decided against the headers before this level's additions, so two ADD_IF_ABSENT entries for
      // one absent name both land (Envoy queues both appends).
      if (!headers.has(name)) appends.push([name, value]);
    } else if (option.append) {
      appends.push([name, value]);
    } else {
      overwrites.push([name, value]);
    }
  }
  for (const [name, value] of overwrites) headers.set(name, value);
  for (const [name, value] of appends) {
    const existing = headers.get(name);
    headers.set(name, existing === undefined ? value : `${existing},${value}`);
  }
}

export interface HeaderMutationOrderOptions {
  /** `RouteConfiguration.most_specific_header_mutations_wins` (default false). */
  readonly mostSpecificHeaderMutationsWins?: boolean;
  /** The weighted cluster the request was sent to, whose headers are applied before all others. */
  readonly weightedCluster?: WeightedClusterConfig | undefined;
}

type HeaderMutationLevel = Pick<
  RouteConfigEntry,
  'requestHeadersToAdd' | 'requestHeadersToRemove' | 'responseHeadersToAdd' | 'responseHeadersToRemove'
>;

/**
 * The header levels of one direction in Envoy's application order (`finalizeRequestHeaders` /
 * `finalizeResponseHeaders`): route, virtual host, route configuration - later levels win on
 * overwrite - reversed by `most_specific_header_mutations_wins`, with the weighted cluster first.
 */
function mutationLayers(
  direction: 'request' | 'response',
  levels: readonly HeaderMutationLevel[],
  options: HeaderMutationOrderOptions,
): HeaderMutationLayer[] {
  const layers: HeaderMutationLayer[] = levels.map((level) =>
    direction === 'request'
      ? { toAdd: level.requestHeadersToAdd, toRemove: level.requestHeadersToRemove }
      : { toAdd: level.responseHeadersToAdd, toRemove: level.responseHeadersToRemove },
  );
  if (options.mostSpecificHeaderMutationsWins === true) layers.reverse();
  const weighted = options.weightedCluster;
  if (weighted !== undefined) {
    layers.unshift({
      toAdd: direction === 'request' ? weighted.requestHeadersToAdd : weighted.responseHeadersToAdd,
      toRemove: [],
    });
  }
  return layers;
}

/** The request header levels in Envoy's application order (later levels win on overwrite). */
export function requestHeaderMutationLayers(
  config: RouteConfiguration,
  vhost: VirtualHostConfig,
  route: RouteConfigEntry,
  options: HeaderMutationOrderOptions = {},
): HeaderMutationLayer[] {
  return mutationLayers('request', [route, vhost, config], options);
}

/** The response header levels in Envoy's application order (`finalizeResponseHeaders`). */
export function responseHeaderMutationLayers(
  config: RouteConfiguration,
  vhost: VirtualHostConfig,
  route: RouteConfigEntry,
  options: HeaderMutationOrderOptions = {},
): HeaderMutationLayer[] {
  return mutationLayers('response', [route, vhost, config], options);
}

/** Applies `layers` in order to `headers`. */
export function applyHeaderMutationLayers(
  headers: HeaderMap,
  layers: readonly HeaderMutationLayer[],
  ctx: HeaderFormatterContext,
): void {
  for (const layer of layers) applyHeaderMutations(headers, layer.toAdd, layer.toRemove, ctx);
}
