/**
 * Plain JSON requests to the cluster's API server with the kubeconfig's credentials (client-node's
 * `applyToHTTPSOptions`: CA, client certificates, bearer tokens, exec plugins). The agent writes
 * status with merge patches, deletes with UID preconditions and writes Events as wire JSON - things
 * the typed client makes awkward (its serializer wants `Date` objects for timestamps). Reads and
 * watches of Pods use client-node's informer machinery instead.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

export type PatchType = 'merge' | 'strategic';

const contentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export class KubeRest {
  private readonly server: URL;
  private readonly agent: http.Agent;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs = 10_000,
  ) {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig context names no cluster');
    this.server = new URL(cluster.server);
    this.agent =
      this.server.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 8 })
        : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  get(path: string): Promise<KubeResponse> {
    return this.request('GET', path);
  }

  post(path: string, body: unknown): Promise<KubeResponse> {
    return this.request('POST', path, body);
  }

  patch(path: string, body: unknown, type: PatchType = 'merge'): Promise<KubeResponse> {
    return this.request('PATCH', path, body, contentTypes[type]);
  }

  delete(path: string, body?: unknown): Promise<KubeResponse> {
    return this.request('DELETE', path, body);
  }

  /** Rejects only for transport errors; any HTTP status resolves. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse> {
    const url = new URL(path, this.server);
    const options: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
      agent: this.agent,
      timeout: this.timeoutMs,
    };
    await this.kc.applyToHTTPSOptions(options);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<KubeResponse>((resolve, reject) => {
      const send = url.protocol === 'https:' ? https.request : http.request;
      const req = send(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
          } catch {
            // Not JSON: keep the text for messages.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `message` of a Kubernetes Status body, else the status code. */
export function describeResponse(r: KubeResponse): string {
  const body = r.body;
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { message?: unknown }).message === 'string'
  )
    return `${r.status} ${(body as { message: string }).message}`;
  return `HTTP ${r.status}`;
}

export function podPath(namespace: string, name: string, sub = ''): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}${sub}`;
}
