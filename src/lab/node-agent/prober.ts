/**
 * Runs one probe attempt over real sockets, with the kubelet's semantics and wording
 * (`pkg/probe/http/http.go`, `pkg/probe/tcp/tcp.go`, `pkg/probe/exec/exec.go`, `pkg/kubelet/prober/
 * prober.go` runProbe):
 * - httpGet: `GET <scheme>://<host>:<port><path>` with `User-Agent: kube-probe/<version>`, `Accept: *\/*`
 *   and the probe's headers; 200-399 is success; certificates are not verified for HTTPS;
 * - tcpSocket: a connection that opens within the timeout;
 * - exec: the command with the container's environment; exit 0 is success.
 * The host defaults to the pod IP. For an app container behind a sidecar the probe goes to the app's
 * own address (the pod's localhost), as Istio's probe rewrite does (pilot-agent probes the app on
 * localhost: `pkg/kube/inject/app_probe.go`, `pkg/istio-agent/health`); the proxy's own probe
 * (:15021) stays on the pod IP. A named port is looked up in the container's ports; a port that
 * cannot be resolved is a probe *error* (the kubelet discards the result and records an event).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Clock } from '../../core/clock.js';
import type { ContainerPortSpec, ProbeHandler } from './pod-spec.js';

export type ProbeOutcome =
  { readonly result: 'success' | 'failure'; readonly output: string } | { readonly error: string };

export interface ProbeTarget {
  /** Where probes without a host go (pod IP, or the pod's localhost for an app behind a sidecar). */
  readonly defaultHost: string;
  readonly ports: readonly ContainerPortSpec[];
  /** The container's environment and working directory, for exec probes. */
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string | undefined;
}

export const probeUserAgent = 'kube-probe/1.32';

/** kubelet `resolveContainerPort`: a number, a named container port, or a number written as text. */
export function resolveProbePort(
  port: number | string,
  ports: readonly ContainerPortSpec[],
): number | string {
  let value: number;
  if (typeof port === 'number') value = port;
  else {
    const named = ports.find((p) => p.name === port);
    if (named !== undefined) value = named.containerPort;
    else if (/^\d+$/.test(port)) value = Number(port);
    else return `couldn't find port: ${port} in the container's ports`;
  }
  if (value > 0 && value < 65536) return value;
  return `invalid port number: ${value}`;
}

/** Go's dial error text for a socket error. */
function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  const target = `dial tcp ${host}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${target}: connect: connection refused`;
    case 'ECONNRESET':
      return `${target}: connection reset by peer`;
    case 'EADDRNOTAVAIL':
      return `${target}: connect: cannot assign requested address`;
    default:
      return `${target}: ${err.message}`;
  }
}

function httpProbe(
  handler: Extract<ProbeHandler, { type: 'httpGet' }>,
  target: ProbeTarget,
  timeoutMs: number,
  clock: Clock,
): Promise<ProbeOutcome> {
  const port = resolveProbePort(handler.port, target.ports);
  if (typeof port === 'string') return Promise.resolve({ error: port });
  const scheme = handler.scheme.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https')
    return Promise.resolve({ error: `unsupported scheme ${handler.scheme}` });
  const host = handler.host ?? target.defaultHost;
  const path = handler.path.startsWith('/') ? handler.path : `/${handler.path}`;
  const url = `${scheme}://${host}:${port}${path}`;
  const headers: Record<string, string> = { 'User-Agent': probeUserAgent, Accept: '*/*' };
  for (const h of handler.headers) headers[h.name] = h.value;
  return new Promise((resolve) => {
    let isDone = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (isDone) return;
      isDone = true;
      timer.cancel();
      req.destroy();
      resolve(outcome);
    };
    const request = scheme === 'https' ? https.request : http.request;
    const req = request(
      {
        host,
        port,
        path,
        method: 'GET',
        headers,
        agent: false,
        ...(scheme === 'https' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        if (code >= 200 && code < 400) finish({ result: 'success', output: '' });
        else finish({ result: 'failure', output: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    const timer = clock.setTimer(timeoutMs, () =>
      finish({
        result: 'failure',
        output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      }),
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ result: 'failure', output: `Get "${url}": ${dialError(host, port, err)}` }),
    );
    req.end();
  });
}

function tcpProbe(
  handler: Extract<ProbeHandler, { type: 'tcpSocket' }>,
  target: ProbeTarget,
  timeoutMs: number,
  clock: Clock,
): Promise<ProbeOutcome> {
  const port = resolveProbePort(handler.port, target.ports);
  if (typeof port === 'string') return Promise.resolve({ error: port });
  const host = handler.host ?? target.defaultHost;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (outcome: ProbeOutcome): void => {
      timer.cancel();
      socket.destroy();
      resolve(outcome);
    };
    const timer = clock.setTimer(timeoutMs, () =>
      finish({ result: 'failure', output: `dial tcp ${host}:${port}: i/o timeout` }),
    );
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ result: 'failure', output: dialError(host, port, err) }),
    );
  });
}

function execProbe(
  handler: Extract<ProbeHandler, { type: 'exec' }>,
  target: ProbeTarget,
  timeoutMs: number,
  clock: Clock,
): Promise<ProbeOutcome> {
  const [file, ...args] = handler.command;
  if (file === undefined) return Promise.resolve({ error: 'exec probe has no command' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let isDone = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (isDone) return;
      isDone = true;
      timer.cancel();
      resolve(outcome);
    };
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...target.env },
      ...(target.workingDir !== undefined ? { cwd: target.workingDir } : {}),
    });
    const output = (): string =>
      Buffer.concat(chunks)
        .toString('utf8')
        .slice(0, 10 * 1024)
        .trimEnd();
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = clock.setTimer(timeoutMs, () => {
      child.kill('SIGKILL');
      finish({ result: 'failure', output: `command "${handler.command.join(' ')}" timed out` });
    });
    child.once('error', (err: NodeJS.ErrnoException) =>
      finish({
        result: 'failure',
        output: err.code === 'ENOENT' ? `exec: "${file}": executable file not found in $PATH` : err.message,
      }),
    );
    child.once('close', (code) => finish({ result: code === 0 ? 'success' : 'failure', output: output() }));
  });
}

/** One attempt of `handler` against `target`, bounded by `timeoutMs`. */
export function runProbe(
  handler: ProbeHandler,
  target: ProbeTarget,
  timeoutMs: number,
  clock: Clock,
): Promise<ProbeOutcome> {
  switch (handler.type) {
    case 'httpGet':
      return httpProbe(handler, target, timeoutMs, clock);
    case 'tcpSocket':
      return tcpProbe(handler, target, timeoutMs, clock);
    case 'exec':
      return execProbe(handler, target, timeoutMs, clock);
    case 'unsupported':
      return Promise.resolve({ error: handler.reason });
  }
}
