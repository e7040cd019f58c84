/**
 * A client of one node agent's control API (docs/adr/0013-lab-node-agent.md): where it listens and
 * its bearer token come from the agent's state directory (`control.json`, `control-token`). Every
 * failure - no control.json yet, connection refused, a timeout, a 4xx/5xx answer - is an
 * `AgentCallError` whose message says which node and why, so a caller can report it per pod.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { ErrorCode, SpillwayError } from '../../core/errors.js';
import { isRecord, type JsonRecord } from '../../core/json-shape.js';
import type { FaultSpec } from '../node-agent/app-fault.js';

/**
 * A failed call: SPILLWAY_ERR_LAB_AGENT_UNREACHABLE when there was no usable answer (no
 * control.json, refused, timed out, 401, 5xx), SPILLWAY_ERR_LAB_TARGET_INVALID for a 404 (the agent
 * does not run that pod or container), SPILLWAY_ERR_LAB_FAULT_INVALID for a fault it refused.
 */
export class AgentCallError extends SpillwayError {
  constructor(
    readonly node: string,
    /** HTTP status of the agent's answer; undefined when there was no answer. */
    readonly status: number | undefined,
    message: string,
  ) {
    super(
      status === 404
        ? ErrorCode.labTargetInvalid
        : status === 400 || status === 409 || status === 413
          ? ErrorCode.labFaultInvalid
          : ErrorCode.labAgentUnreachable,
      message,
    );
    this.name = 'AgentCallError';
  }
}

interface Endpoint {
  readonly url: URL;
  readonly token: string;
}

const requestTimeoutMs = 10_000;

export class NodeAgentClient {
  private endpoint: Endpoint | undefined;

  constructor(
    readonly node: string,
    /** The agent's `--state-dir` (lab.json `clusters[].nodes[].stateDir`). */
    private readonly stateDir: string,
  ) {}

  private resolveEndpoint(): Endpoint {
    if (this.endpoint !== undefined) return this.endpoint;
    const controlFile = join(this.stateDir, 'control.json');
    let control: unknown;
    try {
      control = JSON.parse(readFileSync(controlFile, 'utf8')) as unknown;
    } catch (err) {
      throw new AgentCallError(
        this.node,
        undefined,
        `node agent of ${this.node} has not published its control API (${controlFile}: ${(err as Error).message})`,
      );
    }
    const url = isRecord(control) ? control['url'] : undefined;
    const tokenFile = isRecord(control) ? control['tokenFile'] : undefined;
    if (typeof url !== 'string' || !URL.canParse(url))
      throw new AgentCallError(this.node, undefined, `${controlFile}: no valid "url"`);
    let token: string;
    try {
      token = readFileSync(
        typeof tokenFile === 'string' ? tokenFile : join(this.stateDir, 'control-token'),
        'utf8',
      ).trim();
    } catch (err) {
      throw new AgentCallError(
        this.node,
        undefined,
        `node agent of ${this.node}: cannot read its control token: ${(err as Error).message}`,
      );
    }
    this.endpoint = { url: new URL(url), token };
    return this.endpoint;
  }

  /** One call; resolves with the status and body text of a 2xx answer. */
  private call(method: string, path: string, body?: unknown): Promise<string> {
    let endpoint: Endpoint;
    try {
      endpoint = this.resolveEndpoint();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const where = `node agent of ${this.node} (${endpoint.url.host})`;
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: endpoint.url.hostname,
        port: endpoint.url.port,
        path,
        method,
        agent: false,
        timeout: requestTimeoutMs,
        headers: {
          authorization: `Bearer ${endpoint.token}`,
          accept: 'application/json',
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {}),
        },
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${requestTimeoutMs / 1000} s`)));
      req.on('error', (err) =>
        reject(new AgentCallError(this.node, undefined, `${where} is not reachable: ${err.message}`)),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) =>
          reject(new AgentCallError(this.node, undefined, `${where}: ${err.message}`)),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(text);
            return;
          }
          let message = text.trim().slice(0, 300);
          try {
            const parsed = JSON.parse(text) as unknown;
            if (isRecord(parsed) && typeof parsed['message'] === 'string') message = parsed['message'];
          } catch {
            // not JSON: keep the text
          }
          reject(new AgentCallError(this.node, status, `${where} answered ${status}: ${message}`));
        });
      });
      req.end(payload);
    });
  }

  private async callJson(method: string, path: string, body?: unknown): Promise<JsonRecord> {
    const text = await this.call(method, path, body);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (isRecord(parsed)) return parsed;
    } catch {
      // reported below
    }
    throw new AgentCallError(
      this.node,
      undefined,
      `node agent of ${this.node}: not a JSON object: ${text.slice(0, 100)}`,
    );
  }

  private static podPath(namespace: string, name: string, tail = ''): string {
    return `/v1/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${tail}`;
  }

  /** The pods the agent runs (`GET /v1/pods`). */
  async pods(): Promise<JsonRecord[]> {
    const answer = await this.callJson('GET', '/v1/pods');
    const pods = answer['pods'];
    return Array.isArray(pods) ? pods.filter(isRecord) : [];
  }

  /** Breaks a pod; resolves with the agent's view of the pod afterwards. */
  applyFault(namespace: string, name: string, spec: FaultSpec): Promise<JsonRecord> {
    return this.callJson('PUT', NodeAgentClient.podPath(namespace, name, '/fault'), spec);
  }

  /** Heals a pod; resolves with whether it had a fault. */
  async heal(namespace: string, name: string): Promise<boolean> {
    const answer = await this.callJson('DELETE', NodeAgentClient.podPath(namespace, name, '/fault'));
    return answer['healed'] === true;
  }

  /** Heals every pod of the node; resolves with the `ns/name` of those that had a fault. */
  async healAll(): Promise<string[]> {
    const answer = await this.callJson('POST', '/v1/heal');
    const healed = answer['healed'];
    return Array.isArray(healed) ? healed.filter((h): h is string => typeof h === 'string') : [];
  }

  /** The agent's view of one pod (containers, proxy, fault). */
  pod(namespace: string, name: string): Promise<JsonRecord> {
    return this.callJson('GET', NodeAgentClient.podPath(namespace, name));
  }

  /** The last `tailBytes` of a container's log (the app container when `container` is undefined). */
  log(namespace: string, name: string, container: string | undefined, tailBytes?: number): Promise<string> {
    const query = new URLSearchParams();
    if (container !== undefined) query.set('container', container);
    if (tailBytes !== undefined) query.set('tailBytes', String(tailBytes));
    const q = query.toString();
    return this.call('GET', NodeAgentClient.podPath(namespace, name, `/log${q === '' ? '' : `?${q}`}`));
  }
}
