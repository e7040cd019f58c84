/**
 * A load process of `npm run bench:xds`: many simulated sidecars (sim-proxy.ts), driven by the
 * benchmark over IPC (load-protocol.ts). Separate from the benchmark process and from the control
 * plane, so that the control plane's CPU figures are its own and the API servers' work does not
 * delay the proxies' receive timestamps.
 */
import type { LoadCommand, LoadEvent, LoadStats } from './load-protocol.js';
import { monoMs } from './mono-time.js';
import { SimContext, SimProxy, type Expectation } from './sim-proxy.js';
import { socketAddressNeedle } from './wire-scan.js';

const ctx = new SimContext();
let proxies: SimProxy[] = [];
const expectations = new Map<number, Expectation>();
let syncedCount = 0;

function send(event: LoadEvent): void {
  process.send?.(event);
}

function stats(): LoadStats {
  return {
    proxies: proxies.length,
    responses: { ...ctx.responses },
    bytesReceived: ctx.bytesReceived,
    streamsEnded: ctx.streamsEnded,
    ...(ctx.lastStreamError !== undefined ? { lastStreamError: ctx.lastStreamError } : {}),
    unreadable: ctx.unreadable,
    fullDecodes: ctx.fullDecodes,
  };
}

function report(e: Expectation, isComplete: boolean): void {
  expectations.delete(e.id);
  send({ type: 'seen', id: e.id, ackedAtMs: e.ackedAtMs, isComplete });
}

function handle(command: LoadCommand): void {
  switch (command.type) {
    case 'start': {
      const active = (): Iterable<Expectation> => expectations.values();
      const onSynced = (): void => {
        if (++syncedCount === proxies.length)
          send({ type: 'synced', syncedAtMs: proxies.map((p) => p.syncedAtMs ?? null), stats: stats() });
      };
      proxies = command.proxies.map(
        (p, slot) => new SimProxy(slot, p.node, command.xdsAddress, ctx, active, onSynced),
      );
      const connectStartMs = monoMs();
      for (const p of proxies) p.start();
      send({ type: 'connecting', connectStartMs });
      break;
    }
    case 'expect': {
      const e: Expectation = {
        id: command.id,
        needle: socketAddressNeedle(command.address),
        ackedAtMs: proxies.map(() => null),
        remaining: proxies.length,
        onComplete: () => report(e, true),
      };
      expectations.set(e.id, e);
      send({ type: 'expecting', id: e.id });
      break;
    }
    case 'collect': {
      const e = expectations.get(command.id);
      if (e !== undefined) report(e, false);
      break;
    }
    case 'stop': {
      for (const p of proxies) p.close();
      send({ type: 'stopped', stats: stats() });
      // Let the IPC message go out before leaving.
      setTimeout(() => process.exit(0), 100);
      break;
    }
  }
}

process.on('message', (message: LoadCommand) => {
  try {
    handle(message);
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
// The benchmark went away (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
