/**
 * Name resolution for STRICT_DNS / LOGICAL_DNS clusters, injected so tests can answer from a table.
 */
import dns from 'node:dns';
import net from 'node:net';

export interface HostResolver {
  /** All addresses for a name (an IP literal resolves to itself). */
  resolve(
    hostname: string,
    family: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL',
  ): Promise<string[]>;
}

/** The system resolver (`getaddrinfo`), like Envoy's `getaddrinfo` DNS resolver. */
export class SystemHostResolver implements HostResolver {
  async resolve(
    hostname: string,
    family: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL',
  ): Promise<string[]> {
    if (net.isIP(hostname) !== 0) return [hostname];
    const all = await dns.promises.lookup(hostname, { all: true, verbatim: true });
    const v4 = all.filter((a) => a.family === 4).map((a) => a.address);
    const v6 = all.filter((a) => a.family === 6).map((a) => a.address);
    switch (family) {
      case 'V4_ONLY':
        return v4;
      case 'V6_ONLY':
        return v6;
      case 'V4_PREFERRED':
        return v4.length > 0 ? v4 : v6;
      case 'AUTO':
        return v6.length > 0 ? v6 : v4;
      case 'ALL':
        return [...v4, ...v6];
    }
  }
}
