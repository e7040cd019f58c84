/**
 * Runs `xds-echo-client.js` (real @grpc/grpc-js-xds) in a child process with its own bootstrap,
 * sends it RPC requests, and reads its client status over CSDS (`FetchClientStatus`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { decodeProtoJson } from '../../src/envoy/proto-json-codec.js';

const script = fileURLToPath(new URL('./xds-echo-client.js', import.meta.url));
const identity = (b: Buffer): Buffer => b;

export interface XdsClientBootstrap {
  readonly serverUri: string;
  readonly nodeId: string;
  readonly locality?: { region?: string; zone?: string; sub_zone?: string };
  readonly metadata?: Record<string, unknown>;
}

/** One resource as CSDS reports it (`GenericXdsConfig`). */
export interface ClientResourceStatus {
  readonly typeUrl: string;
  readonly name: string;
  readonly versionInfo: string;
  readonly clientStatus: string;
  readonly errorDetails: string | undefined;
  readonly errorVersion: string | undefined;
}

export class XdsClientProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (result: { reply?: string; error?: string }) => void>();
  private nextId = 0;
  private stderrText = '';
  readonly exited: Promise<number | null>;
  private csdsClient: grpc.Client | undefined;

  private constructor(
    child: ChildProcess,
    readonly adminAddress: Promise<string>,
  ) {
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(bootstrap: XdsClientBootstrap, target: string, adminHost: string): XdsClientProcess {
    const config = {
      xds_servers: [
        {
          server_uri: bootstrap.serverUri,
          channel_creds: [{ type: 'insecure' }],
          server_features: ['xds_v3'],
        },
      ],
      node: {
        id: bootstrap.nodeId,
        cluster: 'test',
        locality: bootstrap.locality ?? {},
        metadata: bootstrap.metadata ?? {},
      },
    };
    const child = spawn(process.execPath, [script, target, adminHost], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(config),
        SPILLWAY_XDS_ECHO_CLIENT: '1',
      },
    });
    let resolveAdmin: (address: string) => void = () => undefined;
    let rejectAdmin: (err: Error) => void = () => undefined;
    const adminAddress = new Promise<string>((resolve, reject) => {
      resolveAdmin = resolve;
      rejectAdmin = reject;
    });
    // Observed by callers through `adminAddress`; never an unhandled rejection.
    adminAddress.catch(() => undefined);
    const running = new XdsClientProcess(child, adminAddress);
    child.stderr?.on('data', (chunk: Buffer) => (running.stderrText += chunk.toString()));
    child.on('exit', (code) => rejectAdmin(new Error(`xDS client exited (${code}): ${running.stderrText}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as {
        ready?: boolean;
        adminAddress?: string;
        id?: number;
        reply?: string;
        error?: string;
      };
      if (message.ready === true && message.adminAddress !== undefined) {
        resolveAdmin(message.adminAddress);
        return;
      }
      if (message.id === undefined) return;
      const waiter = running.pending.get(message.id);
      running.pending.delete(message.id);
      const result: { reply?: string; error?: string } = {};
      if (message.reply !== undefined) result.reply = message.reply;
      if (message.error !== undefined) result.error = message.error;
      waiter?.(result);
    });
    return running;
  }

  /** The stderr of the child so far (for failure messages). */
  get stderr(): string {
    return this.stderrText;
  }

  /** One Echo RPC (5 s deadline in the child): the replying backend's name, or the error. */
  call(): Promise<{ reply?: string; error?: string }> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin?.write(`${JSON.stringify({ id, op: 'call' })}\n`);
    });
  }

  /** Every resource the client knows, from its CSDS admin service. */
  async clientStatus(): Promise<ClientResourceStatus[]> {
    const address = await this.adminAddress;
    this.csdsClient ??= new grpc.Client(address, grpc.credentials.createInsecure());
    const client = this.csdsClient;
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus',
        identity,
        identity,
        Buffer.alloc(0),
        { deadline: new Date(Date.now() + 5_000) },
        (err, reply) =>
          err !== null || reply === undefined ? reject(err ?? new Error('no reply')) : resolve(reply),
      ),
    );
    const json = decodeProtoJson('envoy.service.status.v3.ClientStatusResponse', bytes, {
      opaqueUnknownAny: true,
    });
    const out: ClientResourceStatus[] = [];
    for (const config of (json['config'] as Record<string, unknown>[] | undefined) ?? []) {
      for (const entry of (config['generic_xds_configs'] as Record<string, unknown>[] | undefined) ?? []) {
        const error = entry['error_state'] as Record<string, unknown> | undefined;
        // grpc-js-xds reports the type without the type.googleapis.com/ prefix.
        const typeUrl = String(entry['type_url'] ?? '');
        out.push({
          typeUrl: typeUrl.includes('/') ? typeUrl : `type.googleapis.com/${typeUrl}`,
          name: String(entry['name'] ?? ''),
          versionInfo: String(entry['version_info'] ?? ''),
          clientStatus: String(entry['client_status'] ?? 'UNKNOWN'),
          errorDetails: error === undefined ? undefined : String(error['details'] ?? ''),
          errorVersion: error === undefined ? undefined : String(error['version_info'] ?? ''),
        });
      }
    }
    return out;
  }

  /** Ends the child (closing stdin first, then SIGKILL if it lingers) and waits for it. */
  async stop(): Promise<void> {
    this.csdsClient?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin?.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
