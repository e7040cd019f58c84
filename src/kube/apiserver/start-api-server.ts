/**
 * Starts one lab cluster's API server: durable store under `dataDir`, the HTTP API with a bearer
 * token (kept in `dataDir/token` so restarts keep it), the `default`, `kube-system` and `kube-public`
 * namespaces, the controllers, and optionally a kubeconfig for kubectl.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SystemClock, type Clock } from '../../core/clock.js';
import { SpillwayError, ErrorCode } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { SystemRandom, type Random } from '../../core/random.js';
import { writeFileAtomic } from '../../core/write-file-atomic.js';
import type { MutatingAdmission } from './admission/mutating-admission.js';
import { ApiHttpServer } from './api-http-server.js';
import { startControllers, type RunningControllers } from './controllers/index.js';
import { LocalObjectClient } from './local-object-client.js';
import type { ObjectClient } from './object-client.js';
import { ObjectDeletion } from './object-deletion.js';
import { ObjectService } from './object-service.js';
import { resourceByPlural } from './resource-registry.js';
import {
  createSelfSignedCertificate,
  isCertificateUsable,
  type CertificatePair,
} from './self-signed-certificate.js';
import { ObjectStore } from './store/object-store.js';
import { PersistenceLog } from './store/persistence-log.js';

export interface ApiServerOptions {
  readonly dataDir: string;
  /** Loopback by default; the server binds only where told. */
  readonly address?: string;
  /** 0 picks a free port (the kubeconfig then holds the real one). */
  readonly port?: number;
  readonly clusterName?: string;
  readonly kubeconfigPath?: string;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
  /** Run the lab controllers in-process (default true). */
  readonly runControllers?: boolean;
  readonly bookmarkIntervalMs?: number;
  readonly historyLimit?: number;
  /**
   * Istio's validating webhook (default on). Off, Istio kinds pass with only their CRD's schema and
   * rules, as on a cluster where istiod's webhook is not installed - how a semantically invalid
   * DestinationRule can reach a real cluster.
   */
  readonly isIstioWebhookEnabled?: boolean;
  /** Mutating admission steps on create (the lab enables its sidecar injector here). */
  readonly admission?: readonly MutatingAdmission[];
}

export interface RunningApiServer {
  readonly url: string;
  readonly token: string;
  /** PEM of the server's self-signed certificate, the CA clients must trust. */
  readonly caPem: string;
  readonly kubeconfigPath?: string;
  readonly client: ObjectClient;
  close(): Promise<void>;
}

export const dataDirInUseCode = ErrorCode.kubeDataDirInUse;
const initialNamespaces = ['default', 'kube-system', 'kube-public'];

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One server per data directory: a second one would interleave writes into the same log. */
function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new SpillwayError(dataDirInUseCode, `${dataDir} is in use by another API server (pid ${pid})`);
      }
      unlinkSync(path); // left behind by a server that was killed
    }
  }
  throw new SpillwayError(dataDirInUseCode, `${dataDir}: cannot take the lock file ${path}`);
}

/** The bearer token: random on first start, then read back so that kubeconfigs stay valid. */
function loadToken(dataDir: string): string {
  const path = join(dataDir, 'token');
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token !== '') return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // A credential, so it comes from the OS's CSPRNG rather than the injected (possibly seeded) Random.
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The serving certificate, kept in the data dir (so kubeconfigs stay valid) while it fits the address. */
function loadCertificate(dataDir: string, address: string, nowMs: number): CertificatePair {
  const certPath = join(dataDir, 'tls.crt');
  const keyPath = join(dataDir, 'tls.key');
  try {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    if (isCertificateUsable(certPem, address, nowMs)) return { certPem, keyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pair = createSelfSignedCertificate(
    'spillway-lab-apiserver',
    [...new Set([address, '127.0.0.1', '::1'])],
    nowMs,
    randomBytes(16),
  );
  writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
  writeFileSync(certPath, pair.certPem);
  return pair;
}

/** A kubeconfig with one cluster, user and context named after the cluster. */
export function kubeconfigYaml(clusterName: string, url: string, token: string, caPem: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: clusterName,
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem, 'utf8').toString('base64') },
      },
    ],
    users: [{ name: `${clusterName}-admin`, user: { token } }],
    contexts: [
      {
        name: clusterName,
        context: { cluster: clusterName, user: `${clusterName}-admin`, namespace: 'default' },
      },
    ],
    'current-context': clusterName,
    preferences: {},
  });
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const clock = options.clock ?? new SystemClock();
  const random = options.random ?? new SystemRandom();
  const log = options.log ?? createLogger('apiserver');
  const address = options.address ?? '127.0.0.1';
  const clusterName = options.clusterName ?? 'lab';
  mkdirSync(options.dataDir, { recursive: true });
  const unlock = lockDataDir(options.dataDir);
  let store: ObjectStore | undefined;
  let http: ApiHttpServer | undefined;
  try {
    const token = loadToken(options.dataDir);
    const tls = loadCertificate(options.dataDir, address, clock.wallMs());
    store = new ObjectStore({
      log: new PersistenceLog(options.dataDir),
      ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
    });
    for (const warning of store.recoveryWarnings) log.warn(warning);
    const service = new ObjectService({
      store,
      clock,
      random,
      ...(options.isIstioWebhookEnabled !== undefined
        ? { isIstioWebhookEnabled: options.isIstioWebhookEnabled }
        : {}),
      ...(options.admission !== undefined ? { admission: options.admission } : {}),
    });
    const deletion = new ObjectDeletion(service);
    const namespaces = resourceByPlural('namespaces');
    for (const name of initialNamespaces) {
      if (namespaces !== undefined && store.get('namespaces', undefined, name) === undefined) {
        service.create(
          namespaces,
          'v1',
          undefined,
          { metadata: { name } },
          { fieldManager: 'kube-apiserver' },
        );
      }
    }
    deletion.sweepOrphans();
    http = new ApiHttpServer({
      address,
      port: options.port ?? 0,
      token,
      tls,
      service,
      deletion,
      clock,
      log,
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    });
    const bound = await http.start();
    const host = address.includes(':') ? `[${address}]` : address;
    const url = `https://${host}:${bound.port}`;
    if (options.kubeconfigPath !== undefined) {
      writeFileAtomic(options.kubeconfigPath, kubeconfigYaml(clusterName, url, token, tls.certPem), {
        mode: 0o600,
      });
    }
    log.info({ url, dataDir: options.dataDir, rv: store.currentRv() }, 'apiserver listening');
    const client = new LocalObjectClient(service, deletion);
    const controllers: RunningControllers | undefined =
      options.runControllers === false ? undefined : startControllers(client, { clock, random });
    let closing: Promise<void> | undefined;
    const openStore = store;
    const openHttp = http;
    return {
      url,
      token,
      caPem: tls.certPem,
      ...(options.kubeconfigPath !== undefined ? { kubeconfigPath: options.kubeconfigPath } : {}),
      client,
      close: () => {
        closing ??= (async () => {
          await controllers?.stop();
          await openHttp.close();
          openStore.close();
          unlock();
        })();
        return closing;
      },
    };
  } catch (err) {
    await http?.close().catch(() => {});
    store?.close();
    unlock();
    throw err;
  }
}
