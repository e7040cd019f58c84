/**
 * `core.v3.Address` restricted to `socket_address` (pipes and internal addresses are not supported).
 */
import { isIP } from 'node:net';
import { ErrorCode } from '../../core/errors.js';
import type { SocketAddress } from '../config/cluster-config.js';
import type { ConfigNode } from './config-node.js';

/**
 * `core.v3.Address` with a `socket_address`. `requireIp`: listeners bind, so the address must be
 * an IP literal ("malformed IP address", `Network::Utility::parseInternetAddress`).
 */
export function buildSocketAddress(
  node: ConfigNode | undefined,
  requireIp: boolean,
  owner: ConfigNode,
  field: string,
): SocketAddress {
  if (node === undefined) throw owner.error(ErrorCode.configInvalid, 'address is necessary', field);
  node.allowOnly(['socket_address']);
  const socket = node.child('socket_address');
  if (socket === undefined)
    throw node.error(ErrorCode.configUnsupported, 'only socket_address is supported by Spillway');
  socket.allowOnly(['address', 'port_value', 'protocol']);
  if (socket.enumName('protocol', 'TCP') !== 'TCP') {
    throw socket.error(ErrorCode.configUnsupported, 'UDP is not yet supported by Spillway', 'protocol');
  }
  const address = socket.string('address');
  if (requireIp && isIP(address) === 0)
    throw socket.error(ErrorCode.configInvalid, `malformed IP address: ${address}`, 'address');
  return { address, port: socket.number('port_value', 0) };
}
