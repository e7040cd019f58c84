/**
 * Starts everything the throughput/latency rounds talk to, on fixed loopback addresses (127.0.77.x, so
 * nothing clashes with tests on 127.0.0.1): the nginx backend pinned with wrk on the load CPU, and each
 * server under test (nginx, HAProxy, Spillway, a bare Node server) pinned alone on the proxy CPU.
 * All of them run for the whole benchmark; an idle one costs nothing measurable.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haproxyConf, nginxBackendConf, nginxProxyConf, type Endpoint } from './anchor-configs.js';
import { sleep, waitForPort, type ManagedProcess, type ProcessGroup } from './process-group.js';
import { throughputBootstrap } from './spillway-bootstraps.js';
import type { ToolPaths } from './required-tools.js';

export type TargetName = 'direct' | 'nginx' | 'haproxy' | 'spillway' | 'node-http';

export interface Target {
  readonly name: TargetName;
  readonly url: string;
  /** The process under test, pinned to the proxy CPU (undefined for `direct`). */
  readonly process: ManagedProcess | undefined;
  /** Whether the target is a hop in front of the backend (has an "added latency"). */
  readonly isProxy: boolean;
}

export interface CpuLayout {
  /** The CPU reserved for the server under test. */
  readonly proxyCpu: number;
  /** The CPU shared by wrk and the backend. */
  readonly loadCpu: number;
}

const PORT = 18080;
export const BACKEND: Endpoint = { host: '127.0.77.1', port: PORT };
const NGINX: Endpoint = { host: '127.0.77.2', port: PORT };
const HAPROXY: Endpoint = { host: '127.0.77.3', port: PORT };
const SPILLWAY: Endpoint = { host: '127.0.77.4', port: PORT };
const NODE_HTTP: Endpoint = { host: '127.0.77.5', port: PORT };

/** `dist/src/cli/main.js`, relative to this compiled file (`dist/bench/proxy/`). */
export const SPILLWAY_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** `bin/spillway`, the command users run. */
export const SPILLWAY_BIN = fileURLToPath(new URL('../../../bin/spillway', import.meta.url));

/**
 * The Node flags `bin/spillway` runs with (its `#!/usr/bin/env -S node ...` line), so the benchmark
 * measures the proxy as the command starts it even when it adds flags of its own (--cpu-prof).
 */
export function spillwayNodeFlags(): string[] {
  const shebang = readFileSync(SPILLWAY_BIN, 'utf8').split('\n', 1)[0] ?? '';
  const words = shebang
    .replace(/^#!\s*/, '')
    .split(/\s+/)
    .filter((w) => w !== '');
  const node = words.indexOf('node');
  return node < 0 ? [] : words.slice(node + 1);
}

function url(endpoint: Endpoint): string {
  return `http://${endpoint.host}:${endpoint.port}/`;
}

/** Starts Spillway from a bootstrap object; resolves once its listener accepts connections. */
export async function startSpillway(
  group: ProcessGroup,
  dir: string,
  name: string,
  bootstrap: Record<string, unknown>,
  listen: Endpoint,
  cpu: number,
  nodeFlags: readonly string[] = [],
): Promise<{ process: ManagedProcess; adminAddress: string }> {
  const configPath = join(dir, `${name}.json`);
  const adminPath = join(dir, `${name}.admin`);
  writeFileSync(configPath, JSON.stringify(bootstrap, null, 2));
  const proc = group.start(
    name,
    process.execPath,
    [
      ...spillwayNodeFlags(),
      ...nodeFlags,
      SPILLWAY_BIN,
      'proxy',
      '--config',
      configPath,
      '--admin-address-path',
      adminPath,
    ],
    { cpu },
  );
  await waitForPort(listen.host, listen.port, proc, 20_000);
  // The CLI writes the admin address right after the listeners are bound.
  for (let i = 0; i < 200 && !existsSync(adminPath); i++) await sleep(10);
  return { process: proc, adminAddress: readFileSync(adminPath, 'utf8').trim() };
}

export async function startNginxBackend(
  group: ProcessGroup,
  tools: ToolPaths,
  dir: string,
  cpu: number,
): Promise<ManagedProcess> {
  const conf = join(dir, 'nginx-backend.conf');
  writeFileSync(conf, nginxBackendConf(dir, BACKEND));
  const proc = group.start(
    'nginx-backend',
    tools.nginx,
    ['-e', join(dir, 'nginx-backend-error.log'), '-p', dir, '-c', conf],
    {
      cpu,
    },
  );
  await waitForPort(BACKEND.host, BACKEND.port, proc);
  return proc;
}

/** Starts the backend and the four servers under test; returns the five targets (direct first). */
export async function startThroughputTargets(
  group: ProcessGroup,
  tools: ToolPaths,
  dir: string,
  cpus: CpuLayout,
  fleetSize: number,
): Promise<Target[]> {
  await startNginxBackend(group, tools, dir, cpus.loadCpu);

  const nginxConf = join(dir, 'nginx-proxy.conf');
  writeFileSync(nginxConf, nginxProxyConf(dir, NGINX, BACKEND));
  const nginx = group.start(
    'nginx-proxy',
    tools.nginx,
    ['-e', join(dir, 'nginx-proxy-error.log'), '-p', dir, '-c', nginxConf],
    {
      cpu: cpus.proxyCpu,
    },
  );

  const haproxyPath = join(dir, 'haproxy.cfg');
  writeFileSync(haproxyPath, haproxyConf(HAPROXY, BACKEND));
  const haproxy = group.start('haproxy', tools.haproxy, ['-f', haproxyPath, '-db'], { cpu: cpus.proxyCpu });

  const bareScript = fileURLToPath(new URL('./bare-node-server.js', import.meta.url));
  const nodeHttp = group.start(
    'node-http',
    process.execPath,
    [bareScript, NODE_HTTP.host, String(NODE_HTTP.port)],
    {
      cpu: cpus.proxyCpu,
    },
  );

  const bootstrap = throughputBootstrap(SPILLWAY, BACKEND, fleetSize);
  const spillway = await startSpillway(group, dir, 'spillway', bootstrap, SPILLWAY, cpus.proxyCpu);

  await waitForPort(NGINX.host, NGINX.port, nginx);
  await waitForPort(HAPROXY.host, HAPROXY.port, haproxy);
  await waitForPort(NODE_HTTP.host, NODE_HTTP.port, nodeHttp);

  return [
    { name: 'direct', url: url(BACKEND), process: undefined, isProxy: false },
    { name: 'nginx', url: url(NGINX), process: nginx, isProxy: true },
    { name: 'haproxy', url: url(HAPROXY), process: haproxy, isProxy: true },
    { name: 'spillway', url: url(SPILLWAY), process: spillway.process, isProxy: true },
    { name: 'node-http', url: url(NODE_HTTP), process: nodeHttp, isProxy: false },
  ];
}

export { SPILLWAY as SPILLWAY_LISTENER };
