/**
 * `config.route.v3.RetryPolicy`, resolved as Envoy's `RetryPolicyImpl` does
 * (source/common/router/config_impl.cc): num_retries 1, back-off 25 ms base and 10x base max
 * (`RetryStateImpl`, source/common/router/retry_state_impl.cc), host selection attempts 1.
 */
import { ErrorCode } from '../../core/errors.js';
import type { RetryPolicyConfig } from '../config/route-config.js';
import type { ConfigNode } from './config-node.js';
import { buildHeaderMatcher } from './matcher-builder.js';
import { grpcRetryOnTokens, httpRetryOnTokens } from '../router/retry-state.js';

/** `retry_on` tokens Envoy knows (`parseRetryOn` and `parseRetryGrpcOn` in retry_state_impl.cc). */
export const retryOnTokens: ReadonlySet<string> = new Set<string>([
  ...httpRetryOnTokens,
  ...grpcRetryOnTokens,
]);

const previousHostsType = 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';
const previousPrioritiesType =
  'envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';
const defaultBaseIntervalMs = 25;

/**
 * Splits `retry_on` like Envoy (`StringUtil::splitToken(..., ",", false, true)`: tokens trimmed,
 * empty ones skipped). Unknown tokens are rejected here; Envoy itself silently drops them, which
 * hides typos such as `conect-failure`.
 */
function parseRetryOn(node: ConfigNode): Set<string> {
  const tokens = new Set<string>();
  for (const raw of node.string('retry_on').split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    if (!retryOnTokens.has(token)) {
      throw node.error(
        ErrorCode.configInvalid,
        `unknown retry_on token ${JSON.stringify(token)} (known: ${[...retryOnTokens].join(', ')})`,
        'retry_on',
      );
    }
    tokens.add(token);
  }
  return tokens;
}

/** An extension is identified by its typed_config type when it has one, else by its name. */
function extensionIs(node: ConfigNode, name: string, typeName: string): boolean {
  const typed = node.child('typed_config');
  return typed !== undefined ? typed.anyTypeName() === typeName : node.string('name') === name;
}

function buildHostPredicates(node: ConfigNode): Array<'previous_hosts'> {
  return node.children('retry_host_predicate').map((predicate) => {
    predicate.allowOnly(['name', 'typed_config']);
    if (!extensionIs(predicate, 'envoy.retry_host_predicates.previous_hosts', previousHostsType)) {
      throw predicate.error(
        ErrorCode.configUnsupported,
        `retry host predicate ${JSON.stringify(predicate.string('name'))} is not yet supported by Spillway (only envoy.retry_host_predicates.previous_hosts)`,
      );
    }
    predicate.child('typed_config')?.allowOnly([]);
    return 'previous_hosts' as const;
  });
}

function buildRetryPriority(node: ConfigNode): RetryPolicyConfig['retryPriority'] {
  const priority = node.child('retry_priority');
  if (priority === undefined) return undefined;
  priority.allowOnly(['name', 'typed_config']);
  if (!extensionIs(priority, 'envoy.retry_priorities.previous_priorities', previousPrioritiesType)) {
    throw priority.error(
      ErrorCode.configUnsupported,
      `retry priority ${JSON.stringify(priority.string('name'))} is not yet supported by Spillway (only envoy.retry_priorities.previous_priorities)`,
    );
  }
  const typed = priority.child('typed_config');
  typed?.allowOnly(['update_frequency']);
  const updateFrequency = typed?.number('update_frequency', 0) ?? 0;
  if (updateFrequency <= 0) {
    // PreviousPrioritiesConfig.update_frequency has PGV `gt: 0`; without a typed_config Envoy
    // validates the default message, which fails the same way.
    throw priority.error(
      ErrorCode.configOutOfRange,
      'update_frequency must be greater than 0',
      'typed_config',
    );
  }
  return { kind: 'previous_priorities', updateFrequency };
}

function buildBackOff(node: ConfigNode): RetryPolicyConfig['backOff'] {
  const backOff = node.child('retry_back_off');
  if (backOff === undefined)
    return { baseIntervalMs: defaultBaseIntervalMs, maxIntervalMs: defaultBaseIntervalMs * 10 };
  backOff.allowOnly(['base_interval', 'max_interval']);
  // Sub-millisecond intervals round up to 1 ms, as in RetryPolicyImpl.
  const baseIntervalMs = Math.max(1, backOff.durationMs('base_interval', defaultBaseIntervalMs));
  const configuredMax = backOff.optionalDurationMs('max_interval');
  const maxIntervalMs = configuredMax === undefined ? baseIntervalMs * 10 : Math.max(1, configuredMax);
  if (maxIntervalMs < baseIntervalMs) {
    throw backOff.error(
      ErrorCode.configInvalid,
      'retry_policy.max_interval must greater than or equal to the base_interval',
      'max_interval',
    );
  }
  return { baseIntervalMs, maxIntervalMs };
}

/** Builds a route- or virtual-host-level retry policy. */
export function buildRetryPolicy(node: ConfigNode): RetryPolicyConfig {
  node.allowOnly([
    'retry_on',
    'num_retries',
    'per_try_timeout',
    'per_try_idle_timeout',
    'retry_priority',
    'retry_host_predicate',
    'host_selection_retry_max_attempts',
    'retriable_status_codes',
    'retry_back_off',
    'retriable_headers',
  ]);
  const hostSelectionAttempts = node.number('host_selection_retry_max_attempts', 0);
  if (hostSelectionAttempts < 0 || hostSelectionAttempts > 2 ** 32 - 1) {
    throw node.error(
      ErrorCode.configOutOfRange,
      'must be between 0 and 4294967295',
      'host_selection_retry_max_attempts',
    );
  }
  return {
    retryOn: parseRetryOn(node),
    numRetries: node.number('num_retries', 1),
    perTryTimeoutMs: node.durationMs('per_try_timeout', 0),
    perTryIdleTimeoutMs: node.durationMs('per_try_idle_timeout', 0),
    retriableStatusCodes: node.numbers('retriable_status_codes'),
    hostPredicates: buildHostPredicates(node),
    // RetryPolicyImpl keeps its default of 1 attempt unless the field is non-zero.
    hostSelectionRetryMaxAttempts: hostSelectionAttempts === 0 ? 1 : hostSelectionAttempts,
    retryPriority: buildRetryPriority(node),
    backOff: buildBackOff(node),
    retriableHeaders: node.children('retriable_headers').map(buildHeaderMatcher),
  };
}
