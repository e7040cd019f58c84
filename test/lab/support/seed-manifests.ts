/** The seed's manifests (/work/shared/seed), and a v1 List for `kubectl apply -f -`. */
export const seedDir = '/work/shared/seed';

export function asList(items: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
