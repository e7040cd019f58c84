/**
 * Every resource the lab API server serves, with the names kubectl discovers (plural, singular,
 * short names, categories) as real Kubernetes and Istio define them.
 */
import type { ResourceType } from './kube-object.js';

function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<Pick<ResourceType, 'shortNames' | 'subresources' | 'categories'>> = {},
): ResourceType {
  return {
    group,
    versions: [version],
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: extra.shortNames ?? [],
    namespaced,
    subresources: extra.subresources ?? [],
    categories: extra.categories ?? [],
    isBuiltin: true,
  };
}

/** Istio CRDs are served at v1, v1beta1 and v1alpha3 (networking) or v1, v1beta1 (security). */
function istio(
  group: string,
  versions: readonly string[],
  kind: string,
  plural: string,
  shortNames: readonly string[],
  category: string,
): ResourceType {
  return {
    group,
    versions,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    namespaced: true,
    subresources: ['status'],
    categories: ['istio-io', category],
    isBuiltin: false,
  };
}

const networking = ['v1', 'v1beta1', 'v1alpha3'] as const;
const security = ['v1', 'v1beta1'] as const;

export const resourceTypes: readonly ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'] }),
  builtin('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  builtin('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    subresources: ['status'],
    categories: ['all'],
  }),
  builtin('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    subresources: ['status'],
    categories: ['all'],
  }),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  builtin('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  builtin('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  istio(
    'networking.istio.io',
    networking,
    'DestinationRule',
    'destinationrules',
    ['dr'],
    'networking-istio-io',
  ),
  istio(
    'networking.istio.io',
    networking,
    'VirtualService',
    'virtualservices',
    ['vs'],
    'networking-istio-io',
  ),
  istio('networking.istio.io', networking, 'Gateway', 'gateways', ['gw'], 'networking-istio-io'),
  istio('networking.istio.io', networking, 'ServiceEntry', 'serviceentries', ['se'], 'networking-istio-io'),
  istio('networking.istio.io', networking, 'WorkloadEntry', 'workloadentries', ['we'], 'networking-istio-io'),
  istio('networking.istio.io', networking, 'Sidecar', 'sidecars', [], 'networking-istio-io'),
  istio(
    'security.istio.io',
    security,
    'PeerAuthentication',
    'peerauthentications',
    ['pa'],
    'security-istio-io',
  ),
  istio(
    'security.istio.io',
    security,
    'AuthorizationPolicy',
    'authorizationpolicies',
    ['ap'],
    'security-istio-io',
  ),
];

const byGroupPlural = new Map(resourceTypes.map((r) => [`${r.group}/${r.plural}`, r]));
const byPlural = new Map(resourceTypes.map((r) => [r.plural, r]));

/** The resource served at `group` (`''` = core) with this plural name, if any. */
export function findResource(group: string, plural: string): ResourceType | undefined {
  return byGroupPlural.get(`${group}/${plural}`);
}

/** The resource with this plural name in any group (plurals are unique among what we serve). */
export function resourceByPlural(plural: string): ResourceType | undefined {
  return byPlural.get(plural);
}

/** The resource of an object's `apiVersion` and `kind`, if served. */
export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  return resourceTypes.find((r) => r.group === group && r.kind === kind && r.versions.includes(version));
}
