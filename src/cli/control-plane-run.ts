/**
 * What `spillway control-plane` does once its options are parsed: starts discovery, the ADS
 * server and the admin interface, prints where they listen, serves until SIGTERM/SIGINT.
 */
import { createLogger, setLogLevel } from '../core/logger.js';
import { ControlPlaneAdmin } from '../control-plane/control-plane-admin.js';
import { configDumpOf, registryzOf, synczOf } from '../control-plane/control-plane-debug.js';
import { explainzOf } from '../control-plane/control-plane-explain.js';
import { parseControlPlaneFlags, type ControlPlaneCliFlags } from '../control-plane/control-plane-options.js';
import { ControlPlane } from '../control-plane/control-plane.js';
import { reportFatal } from './report-fatal.js';

export async function runControlPlane(
  flags: ControlPlaneCliFlags & { logLevel?: string; remoteSyncTimeoutMs?: string },
): Promise<number> {
  if (flags.logLevel !== undefined) setLogLevel(flags.logLevel);
  const log = createLogger('control-plane');
  let controlPlane: ControlPlane | undefined;
  let admin: ControlPlaneAdmin | undefined;
  try {
    const options = parseControlPlaneFlags(flags);
    const remoteSyncTimeoutMs = Number(flags.remoteSyncTimeoutMs ?? '30000');
    if (!Number.isFinite(remoteSyncTimeoutMs) || remoteSyncTimeoutMs < 0) {
      throw new Error(`--remote-sync-timeout-ms: expected milliseconds, got '${flags.remoteSyncTimeoutMs}'`);
    }
    controlPlane = new ControlPlane(options, { log, remoteSyncTimeoutMs });
    const cp = controlPlane;
    admin = new ControlPlaneAdmin({
      isReady: () => cp.isReady(),
      metricsText: () => cp.metricsText(),
      syncz: () => synczOf(cp.servedProxies(), cp.connectedStreams(), cp.discovery.syncStates(), Date.now()),
      configDump: (id) => {
        const served = cp.servedProxy(id);
        return served === undefined ? undefined : configDumpOf(served, cp.connectedStreams());
      },
      registryz: () => registryzOf(cp.discovery.registry.snapshot()),
      explainz: (id, cluster) => {
        const served = cp.servedProxy(id);
        return served === undefined
          ? undefined
          : explainzOf(served, cluster, cp.discovery.registry.snapshot());
      },
    });
    await controlPlane.start();
    const adminBound = await admin.listen(options.adminAddress);
    const xds = controlPlane.xdsAddress;
    process.stdout.write(
      `spillway control-plane: cluster '${options.local.clusterId}'` +
        (options.remotes.length > 0
          ? ` (+ remote ${options.remotes.map((r) => r.clusterId).join(', ')})`
          : '') +
        `, xDS on ${xds.host}:${xds.port}, admin on http://${adminBound.host}:${adminBound.port}\n`,
    );
  } catch (err) {
    // Whatever already started must not keep the process alive.
    await Promise.all([admin?.close(), controlPlane?.close()]);
    return reportFatal('control-plane', err);
  }
  const running = { controlPlane, admin };
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void Promise.all([running.admin.close(), running.controlPlane.close()]).then(() => {
        log.info('control plane stopped');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
