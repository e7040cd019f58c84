/**
 * What `spillway explain` does: find the pod and its sidecar's admin address, resolve the service to
 * the proxy's outbound clusters, read the proxy side (`/spillway/clusters`) and the config side
 * (control plane `/debug/explainz`), join them into the ladder and print it. A missing config side
 * is reported in the output, never a reason to print nothing.
 */
import { ErrorCode, SpillwayError } from '../core/errors.js';
import { isRecord } from '../core/json-shape.js';
import { parseConfigExplanation, type ConfigExplanation } from '../explain/config-explanation.js';
import { buildClusterReport, type ExplainReport } from '../explain/explain-report.js';
import { parseProxyClusters } from '../explain/proxy-cluster-view.js';
import { renderExplainText } from '../explain/render-explain-text.js';
import { parseServiceQuery, resolveServiceClusters } from '../explain/service-host.js';
import { resolveStateDir } from '../lab/supervisor/lab-state.js';
import {
  controlPlaneAdminFromBootstrap,
  findPod,
  getJson,
  HttpAnswerError,
  labSidecarAdmin,
  networkReason,
  type FoundPod,
} from './explain-sources.js';
import { reportFatal } from './report-fatal.js';

export interface ExplainOptions {
  context?: string;
  pod?: string;
  namespace?: string;
  service: string;
  json?: boolean;
  kubeconfig?: string;
  admin?: string;
  controlPlane?: string;
  stateDir?: string;
}

const hostPort = /^[^\s:/]+:\d{1,5}$/;

async function proxyGet(admin: string, path: string): Promise<unknown> {
  try {
    return await getJson(`http://${admin}${path}`);
  } catch (err) {
    if (err instanceof SpillwayError) throw err;
    throw new SpillwayError(
      ErrorCode.explainAdminUnreachable,
      `the proxy admin interface at ${admin} did not answer ${path}: ${networkReason(err)}`,
    );
  }
}

/** Builds the report (exported for tests that run it in-process). */
export async function explain(options: ExplainOptions): Promise<ExplainReport> {
  const namespace = options.namespace ?? 'default';
  const query = parseServiceQuery(options.service);
  for (const [flag, value] of [
    ['--admin', options.admin],
    ['--control-plane', options.controlPlane],
  ] as const) {
    if (value !== undefined && !hostPort.test(value))
      throw new SpillwayError(ErrorCode.explainUsage, `${flag} '${value}': expected <ip>:<port>`);
  }
  if (options.admin === undefined && options.pod === undefined)
    throw new SpillwayError(ErrorCode.explainUsage, '--pod <pod> (or --admin <ip:port>) is required');

  // Kubernetes: the KUBECONFIG variable, else the running lab's kubeconfig (lab env's file).
  const stateDir = resolveStateDir(options.stateDir);
  const kubeconfig = options.kubeconfig ?? (process.env['KUBECONFIG'] ? undefined : `${stateDir}/kubeconfig`);
  let pod: FoundPod | undefined;
  let admin = options.admin;
  if (admin === undefined && options.pod !== undefined) {
    pod = await findPod(kubeconfig, options.context, namespace, options.pod);
    admin = await labSidecarAdmin(stateDir, pod);
  }
  if (admin === undefined) throw new SpillwayError(ErrorCode.explainUsage, 'no proxy admin address');

  const serverInfo = await proxyGet(admin, '/server_info');
  const node = isRecord(serverInfo) ? serverInfo['node'] : undefined;
  const nodeId = isRecord(node) && typeof node['id'] === 'string' ? node['id'] : '';
  const all = parseProxyClusters(await proxyGet(admin, '/spillway/clusters'), `${admin}/spillway/clusters`);
  const resolved = resolveServiceClusters(
    query,
    namespace,
    all.clusters.map((c) => c.name),
  );
  const views = resolved.clusters.map((c) => {
    const view = all.clusters.find((v) => v.name === c.name);
    if (view === undefined) throw new Error(`cluster ${c.name} vanished`);
    return view;
  });

  // The config side: the control plane that serves this proxy.
  let cpAdmin = options.controlPlane;
  if (cpAdmin === undefined) cpAdmin = controlPlaneAdminFromBootstrap(await proxyGet(admin, '/config_dump'));
  let controlPlane: ExplainReport['controlPlane'];
  const configs = new Map<string, ConfigExplanation>();
  if (cpAdmin === undefined) {
    controlPlane = {
      admin: undefined,
      status: 'unknown-address',
      message: "the proxy's bootstrap names no xds-grpc cluster; pass --control-plane <ip:port>",
    };
  } else {
    controlPlane = { admin: cpAdmin, status: 'ok', message: undefined };
    for (const c of resolved.clusters) {
      const url =
        `http://${cpAdmin}/debug/explainz?proxyID=${encodeURIComponent(nodeId)}` +
        `&cluster=${encodeURIComponent(c.name)}`;
      try {
        const config = parseConfigExplanation(await getJson(url), `${cpAdmin}/debug/explainz`);
        if (!config.isFound) {
          controlPlane = {
            admin: cpAdmin,
            status: 'error',
            message: `the control plane at ${cpAdmin} gave this proxy no cluster ${c.name}`,
          };
        }
        configs.set(c.name, config);
      } catch (err) {
        const isNotConnected = err instanceof HttpAnswerError && err.status === 404;
        controlPlane = {
          admin: cpAdmin,
          status: isNotConnected ? 'not-connected' : err instanceof SpillwayError ? 'error' : 'unreachable',
          message: isNotConnected
            ? `the control plane at ${cpAdmin} does not serve proxy ${nodeId} (not connected to it)`
            : `control plane at ${cpAdmin} unreachable: ${networkReason(err)}`,
        };
        break;
      }
    }
  }

  return {
    pod:
      pod === undefined
        ? undefined
        : { name: pod.name, namespace: pod.namespace, context: pod.context, node: pod.nodeName, ip: pod.ip },
    namespace,
    proxy: { admin, nodeId },
    service: { query: options.service, host: resolved.host },
    controlPlane,
    clusters: views.map((view) => buildClusterReport({ view, config: configs.get(view.name) })),
  };
}

export async function runExplain(options: ExplainOptions): Promise<number> {
  try {
    const report = await explain(options);
    process.stdout.write(
      options.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderExplainText(report),
    );
    if (report.controlPlane.status !== 'ok') {
      process.stderr.write(
        `spillway explain: the config side is missing (${report.controlPlane.message ?? report.controlPlane.status}); ` +
          'printed the proxy side only\n',
      );
    }
    return 0;
  } catch (err) {
    return reportFatal('explain', err);
  }
}
