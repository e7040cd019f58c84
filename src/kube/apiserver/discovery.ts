/**
 * Discovery documents kubectl reads before anything else: `/version`, `/api` (APIVersions), `/apis`
 * (APIGroupList), `/api/v1` and `/apis/<group>/<version>` (APIResourceList with verbs, short names,
 * categories and subresources), and the aggregated form (`apidiscovery.k8s.io/v2`
 * APIGroupDiscoveryList) that kubectl 1.30+ asks for first
 * (`staging/src/k8s.io/client-go/discovery/aggregated_discovery.go`).
 */
import type { ResourceType } from './kube-object.js';
import { resourceTypes } from './resource-registry.js';

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const subresourceVerbs = ['get', 'patch', 'update'];

// Namespaces have no deletecollection in Kubernetes.
function verbsOf(r: ResourceType): string[] {
  return r.plural === 'namespaces' ? allVerbs.filter((v) => v !== 'deletecollection') : allVerbs;
}

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-spillway',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** Groups in the order served, with their versions (preferred first). */
function groups(): Array<{ name: string; versions: string[] }> {
  const out: Array<{ name: string; versions: string[] }> = [];
  for (const r of resourceTypes) {
    if (r.group === '') continue;
    let g = out.find((x) => x.name === r.group);
    if (g === undefined) {
      g = { name: r.group, versions: [] };
      out.push(g);
    }
    for (const v of r.versions) if (!g.versions.includes(v)) g.versions.push(v);
  }
  return out;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(g: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(groupEntry) };
}

/** `/apis/<group>`: one APIGroup, or undefined when not served. */
export function apiGroup(name: string): Record<string, unknown> | undefined {
  const g = groups().find((x) => x.name === name);
  return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) };
}

function served(group: string, version: string): ResourceType[] {
  return resourceTypes.filter((r) => r.group === group && r.versions.includes(version));
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined when that group version is not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const resources = served(group, version);
  if (resources.length === 0) return undefined;
  const list: Array<Record<string, unknown>> = [];
  for (const r of resources) {
    list.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
      ...(r.categories.length > 0 ? { categories: [...r.categories] } : {}),
    });
    for (const sub of r.subresources) {
      list.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { kind: r.kind }),
        verbs: subresourceVerbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: list,
  };
}

function discoveryResource(r: ResourceType): Record<string, unknown> {
  return {
    resource: r.plural,
    responseKind: { group: r.group, version: '', kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: verbsOf(r),
    ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
    ...(r.categories.length > 0 ? { categories: [...r.categories] } : {}),
    ...(r.subresources.length > 0
      ? {
          subresources: r.subresources.map((sub) => ({
            subresource: sub,
            responseKind:
              sub === 'scale'
                ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
                : { group: r.group, version: r.versions[0] ?? 'v1', kind: r.kind },
            verbs: subresourceVerbs,
          })),
        }
      : {}),
  };
}

/**
 * The aggregated discovery document (`apidiscovery.k8s.io/v2`) for `/api` (core) or `/apis` (named
 * groups): every group, version and resource in one response, so kubectl needs no further requests.
 */
export function aggregatedDiscovery(isCore: boolean, apiVersion: string): Record<string, unknown> {
  const items = (isCore ? [{ name: '', versions: ['v1'] }] : groups()).map((g) => ({
    metadata: { name: g.name, creationTimestamp: null },
    versions: g.versions.map((v) => ({
      version: v,
      resources: served(g.name, v).map((r) => {
        const d = discoveryResource(r);
        return { ...d, responseKind: { ...(d['responseKind'] as object), version: v } };
      }),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items };
}
