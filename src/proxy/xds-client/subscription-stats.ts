/**
 * Envoy's per-subscription stats (`Config::SubscriptionStats`, docs
 * `configuration/overview/mgmt_server.rst` "xDS subscription statistics"), under the scope of what
 * subscribes: `cluster_manager.cds.`, `listener_manager.lds.`, `http.<prefix>.rds.<route>.` and
 * `cluster.<name>.` for EDS. `version` is the xxHash64 of the accepted `version_info`.
 */
import type { Counter, Gauge, StatsScope } from '../stats/stats-store.js';
import { versionHash } from './version-hash.js';

export class SubscriptionStats {
  readonly updateAttempt: Counter;
  readonly updateSuccess: Counter;
  readonly updateFailure: Counter;
  readonly updateRejected: Counter;
  readonly updateEmpty: Counter;
  readonly initFetchTimeout: Counter;
  readonly version: Gauge;
  readonly updateTime: Gauge;

  /**
   * `countsSuccess: false` for EDS: a cluster's `update_success` is already counted when its
   * membership is applied (`Cluster.setLoadAssignment`).
   */
  constructor(
    scope: StatsScope,
    private readonly countsSuccess = true,
  ) {
    this.updateAttempt = scope.counter('update_attempt');
    this.updateSuccess = scope.counter('update_success');
    this.updateFailure = scope.counter('update_failure');
    this.updateRejected = scope.counter('update_rejected');
    this.updateEmpty = scope.counter('update_empty');
    this.initFetchTimeout = scope.counter('init_fetch_timeout');
    this.version = scope.gauge('version');
    this.updateTime = scope.gauge('update_time');
  }

  /** An accepted update at `versionInfo`, at wall time `wallMs`. */
  accepted(versionInfo: string, wallMs: number, isEmpty = false): void {
    this.updateAttempt.inc();
    if (this.countsSuccess) this.updateSuccess.inc();
    if (isEmpty) this.updateEmpty.inc();
    // A uint64 in Envoy; a double here, exact up to 2^53 (the low digits of larger hashes round).
    this.version.set(Number(versionHash(versionInfo)));
    this.updateTime.set(wallMs);
  }

  rejected(): void {
    this.updateAttempt.inc();
    this.updateRejected.inc();
  }

  /** The stream to the management server failed (`ConfigUpdateFailureReason::ConnectionFailure`). */
  connectionFailure(): void {
    this.updateAttempt.inc();
    this.updateFailure.inc();
  }

  fetchTimedOut(): void {
    this.initFetchTimeout.inc();
  }
}
