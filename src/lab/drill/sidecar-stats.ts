/**
 * What the demo reads from the sidecars of the callers (mocka's pods): where their admin interface
 * is (each node agent's control API lists its pods with the proxy's admin address, ADR 0013
 * "Control API"), their outlier detection and retry counters for mockb's cluster (Envoy's `/stats`
 * names, `cluster.<name>.outlier_detection.ejections_enforced_total` ...), and whether a retry
 * policy has reached their routes (`/config_dump`).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { LabState } from '../supervisor/lab-state.js';

/** Istio's outbound cluster name of mockb:8000 (`outbound|<port>|<subset>|<fqdn>`). */
export const mockbCluster = 'outbound|8000||mockb.default.svc.cluster.local';

export interface SidecarRef {
  readonly cluster: string;
  readonly pod: string;
  readonly ip: string;
  /** `<host>:<port>` of the proxy's admin interface. */
  readonly admin: string;
}

export interface UpstreamCounters {
  /** `outlier_detection.ejections_enforced_total`: hosts ejected so far. */
  readonly ejectionsEnforced: number;
  /** `outlier_detection.ejections_active`: hosts ejected right now. */
  readonly ejectionsActive: number;
  /** `upstream_rq_retry`: retries sent. */
  readonly retries: number;
  /** `upstream_rq_retry_success`: retries that got a good answer. */
  readonly retrySuccesses: number;
}

type Json = Record<string, unknown>;

function record(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function getText(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(text);
        else reject(new Error(`GET ${url}: HTTP ${res.statusCode ?? 0}: ${text.slice(0, 200)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/** The sidecars of the pods whose name starts with `podPrefix`, from every node agent of the lab. */
export async function findSidecars(lab: LabState, podPrefix: string): Promise<SidecarRef[]> {
  const found: SidecarRef[] = [];
  for (const cluster of lab.clusters) {
    for (const node of cluster.nodes) {
      const control = record(JSON.parse(readFileSync(join(node.stateDir, 'control.json'), 'utf8')));
      const token = readFileSync(join(node.stateDir, 'control-token'), 'utf8').trim();
      const listing = record(
        JSON.parse(
          await getText(`${String(control['url'])}/v1/pods`, { authorization: `Bearer ${token}` }),
        ) as unknown,
      );
      for (const raw of Array.isArray(listing['pods']) ? listing['pods'] : []) {
        const pod = record(raw);
        const proxy = record(pod['proxy']);
        const name = String(pod['name'] ?? '');
        if (pod['namespace'] !== 'default' || !name.startsWith(podPrefix) || proxy['role'] !== 'sidecar')
          continue;
        if (typeof proxy['admin'] !== 'string') continue;
        found.push({ cluster: cluster.name, pod: name, ip: String(pod['ip'] ?? ''), admin: proxy['admin'] });
      }
    }
  }
  return found;
}

/** The counters of one upstream cluster from the text form of `/stats`. */
export function parseUpstreamCounters(statsText: string, clusterName: string): UpstreamCounters {
  const values = new Map<string, number>();
  const prefix = `cluster.${clusterName}.`;
  for (const line of statsText.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const colon = line.lastIndexOf(': ');
    if (colon === -1) continue;
    values.set(line.slice(prefix.length, colon), Number(line.slice(colon + 2)));
  }
  const get = (name: string): number => values.get(name) ?? 0;
  return {
    ejectionsEnforced: get('outlier_detection.ejections_enforced_total'),
    ejectionsActive: get('outlier_detection.ejections_active'),
    retries: get('upstream_rq_retry'),
    retrySuccesses: get('upstream_rq_retry_success'),
  };
}

export async function readUpstreamCounters(sidecar: SidecarRef): Promise<UpstreamCounters> {
  return parseUpstreamCounters(await getText(`http://${sidecar.admin}/stats`), mockbCluster);
}

/** Whether some route of the proxy's config sends to `clusterName` with a retry_on containing `retryOn`. */
export function hasRouteRetry(configDump: unknown, clusterName: string, retryOn: string): boolean {
  const stack: unknown[] = [configDump];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...(value as unknown[]));
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const object = value as Json;
    const route = record(object['route']);
    const policy = record(route['retry_policy']);
    if (route['cluster'] === clusterName && String(policy['retry_on'] ?? '').includes(retryOn)) return true;
    stack.push(...Object.values(object));
  }
  return false;
}

export async function sidecarHasRetry(sidecar: SidecarRef, retryOn: string): Promise<boolean> {
  const dump = JSON.parse(await getText(`http://${sidecar.admin}/config_dump`)) as unknown;
  return hasRouteRetry(dump, mockbCluster, retryOn);
}
