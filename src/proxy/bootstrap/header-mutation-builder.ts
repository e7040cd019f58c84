/**
 * `request_headers_to_add` / `_to_remove` and the response equivalents (`core.v3.HeaderValueOption`),
 * checked as Envoy's `HeaderParser::configure` (source/common/router/header_parser.cc) does.
 */
import { ErrorCode } from '../../core/errors.js';
import type { HeaderValueOptionConfig } from '../config/route-config.js';
import type { ConfigNode } from './config-node.js';

/** Pseudo-headers and Host cannot be added or removed (`HeaderUtility::isModifiableHeader`). */
function isModifiableHeader(name: string): boolean {
  return name !== '' && !name.startsWith(':') && name.toLowerCase() !== 'host';
}

function buildHeaderValueOption(node: ConfigNode): HeaderValueOptionConfig {
  node.allowOnly(['header', 'append', 'append_action']);
  const header = node.child('header');
  header?.allowOnly(['key', 'value']);
  const key = header?.string('key') ?? '';
  if (!isModifiableHeader(key)) {
    throw node.error(
      ErrorCode.configInvalid,
      `":-prefixed" or host headers may not be modified (got ${JSON.stringify(key)})`,
      'header.key',
    );
  }
  if (node.has('append') && node.has('append_action')) {
    throw node.error(
      ErrorCode.configInvalid,
      "Both append and append_action are set and it's not allowed",
      'append_action',
    );
  }
  // The deprecated BoolValue `append` maps to APPEND_IF_EXISTS_OR_ADD / OVERWRITE_IF_EXISTS_OR_ADD.
  const action = node.has('append')
    ? node.boolean('append', true)
      ? 'APPEND_IF_EXISTS_OR_ADD'
      : 'OVERWRITE_IF_EXISTS_OR_ADD'
    : node.enumName('append_action', 'APPEND_IF_EXISTS_OR_ADD');
  switch (action) {
    case 'APPEND_IF_EXISTS_OR_ADD':
      return { key, value: header?.string('value') ?? '', append: true, onlyIfAbsent: false };
    case 'ADD_IF_ABSENT':
      return { key, value: header?.string('value') ?? '', append: false, onlyIfAbsent: true };
    case 'OVERWRITE_IF_EXISTS_OR_ADD':
      return { key, value: header?.string('value') ?? '', append: false, onlyIfAbsent: false };
    default:
      throw node.error(
        ErrorCode.configUnsupported,
        `append_action ${action} is not yet supported by Spillway`,
        'append_action',
      );
  }
}

/** The headers to add under `field` (e.g. `request_headers_to_add`). */
export function buildHeadersToAdd(node: ConfigNode, field: string): HeaderValueOptionConfig[] {
  return node.children(field).map(buildHeaderValueOption);
}

/** The header names to remove under `field`, lower-cased as Envoy stores them. */
export function buildHeadersToRemove(node: ConfigNode, field: string): string[] {
  return node.strings(field).map((name, i) => {
    if (!isModifiableHeader(name)) {
      throw node.error(
        ErrorCode.configInvalid,
        `":-prefixed" or host headers may not be removed (got ${JSON.stringify(name)})`,
        `${field}[${i}]`,
      );
    }
    return name.toLowerCase();
  });
}
