/**
 * The `node` of every ADS stream: the bootstrap's node with the user agent Envoy fills in when the
 * bootstrap leaves it unset (`InstanceBase::initialize`: `user_agent_name` "envoy", the build
 * version). Spillway identifies its own build version; `client_features`, `extensions`, metadata
 * and locality travel as configured.
 */
import type { NodeConfig } from '../config/bootstrap-config.js';

/** Spillway's version, as `user_agent_build_version` reports it. */
export const spillwayVersion = { major_number: 0, minor_number: 1, patch: 0 } as const;

export function xdsNode(node: NodeConfig): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...node.wire };
  if (typeof wire['user_agent_name'] !== 'string' || wire['user_agent_name'] === '')
    wire['user_agent_name'] = 'envoy';
  const build = wire['user_agent_build_version'] as { version?: unknown } | undefined;
  if (wire['user_agent_version'] === undefined && build?.version === undefined) {
    wire['user_agent_build_version'] = {
      version: { ...spillwayVersion },
      metadata: { 'build.type': 'spillway' },
    };
  }
  return wire;
}
