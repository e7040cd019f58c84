/**
 * An EndpointSlice endpoint's health as Istio maps it (`pilot/pkg/serviceregistry/kube/controller/
 * endpointslice.go` endpointHealthStatus). An unset condition counts as true, as Kubernetes documents
 * for `ready` and as that function does for `serving` and `terminating`:
 * - ready -> healthy;
 * - not ready, serving and terminating, on a service with persistent sessions -> draining (it was
 *   serving before shutdown began; `Service.SupportsDrainingEndpoints`);
 * - not ready and terminating -> terminating;
 * - otherwise (not ready, not terminating) -> unhealthy.
 */
import type { EndpointConditions } from './kube-records.js';
import type { EndpointHealth } from './mesh-model.js';

/**
 * Service labels that turn on persistent sessions, Istio's defaults of `PILOT_PERSISTENT_SESSION_LABEL`
 * and `PILOT_PERSISTENT_SESSION_HEADER_LABEL` (`pilot/pkg/features/pilot.go`).
 */
export const PersistentSessionLabel = {
  cookie: 'istio.io/persistent-session',
  header: 'istio.io/persistent-session-header',
} as const;

/** `Service.SupportsDrainingEndpoints`: a persistent-session label with a non-empty value. */
export function supportsDrainingEndpoints(serviceLabels: Readonly<Record<string, string>>): boolean {
  return (
    (serviceLabels[PersistentSessionLabel.cookie] ?? '') !== '' ||
    (serviceLabels[PersistentSessionLabel.header] ?? '') !== ''
  );
}

export function endpointHealth(conditions: EndpointConditions, isDrainingSupported: boolean): EndpointHealth {
  if (conditions.ready ?? true) return 'healthy';
  const isServing = conditions.serving ?? true;
  const isTerminating = conditions.terminating ?? true;
  if (isDrainingSupported && isServing && isTerminating) return 'draining';
  if (isTerminating) return 'terminating';
  return 'unhealthy';
}
