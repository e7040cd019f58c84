/**
 * Why an xDS response was rejected, in the words of Envoy's NACKs ("Error adding/updating
 * cluster(s) <name>: <reason>", `CdsApiHelper`/`LdsApiImpl`) with Spillway's field path inside the
 * resource, e.g. `Error adding/updating cluster(s) backend: outlier_detection.max_ejection_percent:
 * value must be <= 100`. The failed resource is kept for `/config_dump` (`error_state`).
 */
import { ConfigError } from '../../core/errors.js';
import type { XdsResourceJson } from '../../envoy/xds-resource.js';

export class ResourceRejection extends Error {
  constructor(
    readonly resourceName: string,
    readonly failedConfiguration: XdsResourceJson,
    message: string,
  ) {
    super(message);
    this.name = 'ResourceRejection';
  }
}

/** `path: problem` of a builder error (just the problem at the resource root). */
export function describeProblem(err: unknown): string {
  if (err instanceof ConfigError)
    return err.location.path === '' ? err.problem : `${err.location.path}: ${err.problem}`;
  return err instanceof Error ? err.message : String(err);
}

/** Runs a builder on one resource, turning its error into a rejection naming the resource. */
export function buildOrReject<T>(what: string, name: string, json: XdsResourceJson, build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new ResourceRejection(name, json, `Error adding/updating ${what} ${name}: ${describeProblem(err)}`);
  }
}

/** The UpdateFailureState of one resource (`envoy.admin.v3.UpdateFailureState`). */
export interface ResourceErrorState {
  readonly failedConfiguration: XdsResourceJson;
  readonly lastUpdateAttemptMs: number;
  readonly details: string;
  readonly versionInfo: string;
}
