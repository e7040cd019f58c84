/**
 * What `spillway lab node-agent` does once its options are parsed: validates them (exit 1 with the
 * flag and the reason), starts the NodeAgent, prints where its control API is, and runs until
 * SIGTERM/SIGINT, when every pod's processes are stopped before the process exits. A failure inside
 * one pod (an app that throws, a child that crashes) is logged and never ends the agent.
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { createLogger, setLogLevel } from '../core/logger.js';
import { loadKubeConfig } from '../kube/informers/load-kubeconfig.js';
import { NodeAgent, type HostPort } from '../lab/node-agent/node-agent.js';
import { reportFatal } from './report-fatal.js';

export interface NodeAgentCliOptions {
  node: string;
  stateDir: string;
  kubeconfig?: string;
  context?: string;
  clusterId?: string;
  network?: string;
  xdsAddress?: string;
  controlAddress?: string;
  podCidr?: string;
  nodeLabels?: string;
  heartbeatS: string;
  shutdownGraceS: string;
  startTimeoutS: string;
  logLevel?: string;
}

function invalid(flag: string, problem: string): never {
  throw new SpillwayError(ErrorCode.labNodeAgentFailed, `${flag}: ${problem}`);
}

function hostPort(flag: string, text: string | undefined): HostPort | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port > 65535) invalid(flag, `expected <ipv4>:<port>, got '${text}'`);
  return { host: m[1] ?? '', port };
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) invalid(flag, `expected seconds, got '${text}'`);
  return value;
}

function labels(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(',').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) invalid('--node-labels', `expected k=v[,k=v...], got '${part}'`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export async function runNodeAgent(options: NodeAgentCliOptions): Promise<number> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel);
  const log = createLogger('node-agent');
  let agent: NodeAgent;
  try {
    const kubeConfig = loadKubeConfig(options.kubeconfig, options.context);
    const xdsAddress = hostPort('--xds-address', options.xdsAddress);
    const controlAddress = hostPort('--control-address', options.controlAddress);
    const nodeLabels = labels(options.nodeLabels);
    const heartbeatMs = seconds('--heartbeat-s', options.heartbeatS) * 1000;
    if (heartbeatMs < 100) invalid('--heartbeat-s', 'must be at least 0.1');
    agent = await NodeAgent.start({
      kubeConfig,
      nodeName: options.node,
      stateDir: options.stateDir,
      ...(options.clusterId !== undefined ? { clusterId: options.clusterId } : {}),
      ...(options.network !== undefined ? { network: options.network } : {}),
      ...(xdsAddress !== undefined ? { xdsAddress } : {}),
      ...(controlAddress !== undefined ? { controlAddress } : {}),
      registration: {
        ...(nodeLabels !== undefined ? { labels: nodeLabels } : {}),
        ...(options.podCidr !== undefined ? { podCIDR: options.podCidr } : {}),
      },
      heartbeatMs,
      shutdownGraceMs: seconds('--shutdown-grace-s', options.shutdownGraceS) * 1000,
      startTimeoutMs: seconds('--start-timeout-s', options.startTimeoutS) * 1000,
      log,
    });
  } catch (err) {
    return reportFatal('lab node-agent', err);
  }
  // One pod's trouble must not end the node: log what escaped and keep running.
  process.on('uncaughtException', (err) =>
    log.error({ err }, 'uncaught exception (the agent keeps running)'),
  );
  process.on('unhandledRejection', (err) =>
    log.error({ err }, 'unhandled rejection (the agent keeps running)'),
  );
  process.stdout.write(
    `spillway lab node-agent: node ${agent.nodeName} (podCIDR ${agent.podCIDR ?? 'none'}), control API on ${agent.controlUrl}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void agent.close().then(() => {
        log.info('node agent stopped');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
