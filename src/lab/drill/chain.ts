/**
 * A demo response body read as the chain of hops it went through. The sample app answers
 * `-> <app>(version: <version>, ip: <podIP>)` followed by its upstream's body, HTTP 200 even when
 * the upstream call failed, in which case the proxy's local reply follows the last hop that
 * answered (seed README, walkthrough steps 2 and 4). `version` is the pod's zone in the demo app.
 */

export interface Hop {
  readonly app: string;
  readonly version: string;
  readonly ip: string;
}

export interface Chain {
  readonly hops: readonly Hop[];
  /** What follows the last hop: '' for a complete answer, else the error text that ended the chain. */
  readonly tail: string;
}

const hopPattern = /^-> ([a-z0-9-]+)\(version: ([^,()]+), ip: ([^()]+)\)/;

export function parseChain(body: string): Chain {
  const hops: Hop[] = [];
  let rest = body;
  for (let m = hopPattern.exec(rest); m !== null; m = hopPattern.exec(rest)) {
    hops.push({ app: m[1] ?? '', version: m[2] ?? '', ip: m[3] ?? '' });
    rest = rest.slice(m[0].length);
  }
  return { hops, tail: rest };
}

/** mocka -> mockb -> mockc, all three answered, nothing after them. */
export function isComplete(chain: Chain, apps: readonly string[]): boolean {
  return (
    chain.tail === '' && chain.hops.length === apps.length && chain.hops.every((h, i) => h.app === apps[i])
  );
}

/** The zone the request entered the app in: mocka's version. */
export function entryZone(chain: Chain): string | undefined {
  return chain.hops[0]?.version;
}

/** Every hop in one zone. */
export function isSameZone(chain: Chain): boolean {
  const zone = entryZone(chain);
  return zone !== undefined && chain.hops.every((h) => h.version === zone);
}

/**
 * How the report shows a chain: `mocka(ap-northeast-1a) -> mockb(ap-northeast-1b) -> mockc(ap-northeast-1b)`,
 * or for a failed one the hops that answered and then the error text, so that chains differing only
 * in pod IPs count as one.
 */
export function chainLabel(chain: Chain): string {
  const hops = chain.hops.map((h) => `${h.app}(${h.version})`);
  if (chain.tail !== '') hops.push(chain.tail);
  return hops.join(' -> ');
}
