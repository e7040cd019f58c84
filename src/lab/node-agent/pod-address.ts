/**
 * Pod addresses on one lab node (lab design "Addresses"): the Node's `spec.podCIDR` (127.(base+N).k.0/24)
 * gives the pods .2 ... .254 - the network address and the first host (.1, the node's own address,
 * where the agent's control API listens) are never handed out, nor the broadcast address - and each
 * pod's private "localhost" is its IP with the second octet + 100.
 *
 * Allocation follows the CNI host-local IPAM plugin that kubelets commonly run with
 * (containernetworking/plugins `plugins/ipam/host-local/backend/allocator/allocator.go` GetIter and
 * `range.go` Canonicalize): the range starts after the gateway (network + 1), and the search for a free
 * address starts right after the last one reserved, wrapping around. So an address freed by a deleted
 * pod is handed out again only after every other free address was used - callers whose proxies still
 * hold the old endpoint do not reach a new pod by mistake - and "reused only once free": an address
 * goes back to the pool only when its pod's sockets are closed (`release`).
 */

/** An IPv4 CIDR block, parsed. */
export interface Ipv4Cidr {
  readonly text: string;
  /** The network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
}

/** `a.b.c.d` -> uint32, or undefined when the text is not a dotted-quad IPv4 address. */
export function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/n`; the error text names what is wrong. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (m === null) return `${JSON.stringify(text)} is not an IPv4 CIDR (a.b.c.d/n)`;
  const address = ipv4ToInt(m[1] ?? '');
  const prefixLength = Number(m[2]);
  if (address === undefined) return `${JSON.stringify(text)} is not an IPv4 CIDR (a.b.c.d/n)`;
  if (prefixLength > 30) return `${text}: a /${prefixLength} leaves no address for pods (at most /30)`;
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address)
    return `${text}: not a network address (did you mean ${intToIpv4(network)}/${prefixLength}?)`;
  return { text: `${intToIpv4(network)}/${prefixLength}`, network, prefixLength };
}

/**
 * A pod's private "localhost": its IP with the second octet + 100 (127.102.1.5 -> 127.202.1.5). Only
 * for 127/8 addresses whose second octet stays <= 255; the error text says why otherwise.
 */
export function podLocalhost(podIp: string): string | { readonly error: string } {
  const value = ipv4ToInt(podIp);
  const parts = podIp.split('.');
  const second = Number(parts[1]);
  if (value === undefined || parts[0] !== '127')
    return { error: `${podIp} is not a lab pod address (the lab's pods live in 127.0.0.0/8)` };
  if (second + 100 > 255)
    return { error: `${podIp}: its localhost would be 127.${second + 100}... (second octet must be <= 155)` };
  return `127.${second + 100}.${parts[2]}.${parts[3]}`;
}

/** Checks that every pod address of `cidr` has a lab localhost; returns the problem, if any. */
export function checkLabPodCidr(cidr: Ipv4Cidr): string | undefined {
  const first = podLocalhost(intToIpv4(cidr.network + 2));
  if (typeof first !== 'string') return `podCIDR ${cidr.text}: ${first.error}`;
  const last = podLocalhost(intToIpv4(cidr.network + 2 ** (32 - cidr.prefixLength) - 2));
  if (typeof last !== 'string') return `podCIDR ${cidr.text}: ${last.error}`;
  return undefined;
}

export class PodIpAllocator {
  private readonly first: number;
  private readonly last: number;
  private readonly owners = new Map<number, string>();
  private lastReserved: number | undefined;

  /** `lastReserved`: where the previous run of the agent stopped (kept in the state directory). */
  constructor(
    readonly cidr: Ipv4Cidr,
    lastReserved?: string,
  ) {
    // network + 1 is the node (host-local's gateway); the broadcast address is never a host.
    this.first = cidr.network + 2;
    this.last = cidr.network + 2 ** (32 - cidr.prefixLength) - 2;
    const previous = lastReserved === undefined ? undefined : ipv4ToInt(lastReserved);
    if (previous !== undefined && previous >= this.first && previous <= this.last)
      this.lastReserved = previous;
  }

  /** How many pod addresses the range has. */
  get capacity(): number {
    return this.last - this.first + 1;
  }

  /** The address reserved last, to persist across restarts (undefined before the first). */
  lastReservedAddress(): string | undefined {
    return this.lastReserved === undefined ? undefined : intToIpv4(this.lastReserved);
  }

  contains(ip: string): boolean {
    const value = ipv4ToInt(ip);
    return value !== undefined && value >= this.first && value <= this.last;
  }

  /** Who holds `ip`, if anyone. */
  ownerOf(ip: string): string | undefined {
    const value = ipv4ToInt(ip);
    return value === undefined ? undefined : this.owners.get(value);
  }

  /**
   * Reserves an address for `owner`: `preferred` when it is in range and free (a pod that had an
   * address before the agent restarted keeps it), else the next free one after the last reserved.
   * Returns undefined when the range is full. An owner that already holds an address gets it again.
   */
  allocate(owner: string, preferred?: string): string | undefined {
    for (const [value, holder] of this.owners) if (holder === owner) return intToIpv4(value);
    const wanted = preferred === undefined ? undefined : ipv4ToInt(preferred);
    if (wanted !== undefined && wanted >= this.first && wanted <= this.last && !this.owners.has(wanted))
      return this.take(wanted, owner);
    const size = this.capacity;
    const start = this.lastReserved === undefined ? this.first : this.lastReserved + 1;
    for (let i = 0; i < size; i++) {
      const candidate = this.first + ((start - this.first + i) % size);
      if (!this.owners.has(candidate)) return this.take(candidate, owner);
    }
    return undefined;
  }

  /** Frees `ip` (its pod's sockets are closed). Freeing a free address is harmless. */
  release(ip: string): void {
    const value = ipv4ToInt(ip);
    if (value !== undefined) this.owners.delete(value);
  }

  /** Addresses in use -> owner. */
  inUse(): Map<string, string> {
    return new Map([...this.owners].map(([value, owner]) => [intToIpv4(value), owner]));
  }

  private take(value: number, owner: string): string {
    this.owners.set(value, owner);
    this.lastReserved = value;
    return intToIpv4(value);
  }
}
