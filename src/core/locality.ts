/**
 * Where a workload or proxy runs: Envoy's `core.v3.Locality` (`region`, `zone`, `sub_zone`).
 * Empty strings mean "unknown" and compare equal to each other (as in Istio's locality matching).
 */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

export const unknownLocality: Locality = Object.freeze({ region: '', zone: '', subZone: '' });

export function makeLocality(region = '', zone = '', subZone = ''): Locality {
  return { region, zone, subZone };
}

/** `region/zone/subzone`, trailing empty parts dropped (the form Istio prints). */
export function localityKey(locality: Locality): string {
  const parts = [locality.region, locality.zone, locality.subZone];
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('/');
}

export function sameLocality(a: Locality, b: Locality): boolean {
  return a.region === b.region && a.zone === b.zone && a.subZone === b.subZone;
}
