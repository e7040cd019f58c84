/**
 * How the supervisor starts its children: one `LabComponent` per kind of process, each turning a
 * launch description (what to run it for) into a command line. This is where the node agent and
 * the control plane plug in (docs/lab.md "Components"):
 *
 * - default: the `spillway` subcommand, when this build has it (`spillway lab node-agent`,
 *   `spillway control-plane`); without it the component is unavailable and `lab up` skips that step
 *   with a visible warning;
 * - `SPILLWAY_LAB_NODE_AGENT` / `SPILLWAY_LAB_CONTROL_PLANE` = a JavaScript file: run with node and
 *   the same arguments as the subcommand (tests use stand-ins this way); `off`: skipped on purpose.
 *
 * Readiness is the supervisor's business and the same whatever runs: the API server answers, a node
 * agent sets its Node Ready=True, a control plane answers 200 on `http://<admin>/ready`.
 */
import type { ClusterPlan, HostPort, LabPlan, MeshPlan, NodePlan } from '../topology/address-plan.js';
import { formatHostPort } from '../topology/address-plan.js';

export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface ApiServerLaunch {
  readonly cluster: ClusterPlan;
  readonly dataDir: string;
  /** Where the API server writes its own kubeconfig (merged into the lab's). */
  readonly kubeconfigPath: string;
}

export interface NodeAgentLaunch {
  /** The lab kubeconfig (one context per cluster). */
  readonly kubeconfig: string;
  /** Context of the node's cluster (= cluster id). */
  readonly context: string;
  readonly node: NodePlan;
  readonly cluster: ClusterPlan;
  /** The agent's own directory: `<stateDir>/nodes/<node>`. */
  readonly stateDir: string;
  /** The lab's state directory (lab.json is there). */
  readonly labStateDir: string;
  /** ADS server of the control plane serving this cluster's proxies, if the topology has one. */
  readonly xdsAddress: HostPort | undefined;
}

export interface ControlPlaneLaunch {
  readonly mesh: MeshPlan;
  readonly plan: LabPlan;
  /** The lab kubeconfig: the mesh's own cluster and its remotes are contexts in it. */
  readonly kubeconfig: string;
}

export interface LabComponent<L> {
  /** Set when the component cannot run in this build: the step is skipped with this as warning. */
  readonly unavailable?: string;
  /** Where the command comes from, for `lab status` and logs. */
  readonly source: string;
  command(launch: L): ChildCommand;
}

export interface LabComponents {
  readonly apiServer: LabComponent<ApiServerLaunch>;
  readonly nodeAgent: LabComponent<NodeAgentLaunch>;
  readonly controlPlane: LabComponent<ControlPlaneLaunch>;
}

/** `spillway apiserver` for one cluster, with the lab's sidecar injection. */
export function apiServerArgs(launch: ApiServerLaunch): string[] {
  const { cluster } = launch;
  return [
    'apiserver',
    '--data-dir',
    launch.dataDir,
    '--address',
    cluster.apiServer.host,
    '--port',
    String(cluster.apiServer.port),
    '--cluster-name',
    cluster.name,
    '--write-kubeconfig',
    launch.kubeconfigPath,
    '--sidecar-injection',
    'lab',
    '--sidecar-network',
    cluster.network,
  ];
}

/** The arguments of `spillway lab node-agent` (after the subcommand words). */
export function nodeAgentArgs(launch: NodeAgentLaunch): string[] {
  return [
    '--kubeconfig',
    launch.kubeconfig,
    '--context',
    launch.context,
    '--node',
    launch.node.name,
    '--state-dir',
    launch.stateDir,
  ];
}

/** The arguments of `spillway control-plane` (src/control-plane/control-plane-options.ts). */
export function controlPlaneArgs(launch: ControlPlaneLaunch): string[] {
  const { mesh, plan, kubeconfig } = launch;
  const networkOf = (name: string): string => plan.clusters.find((c) => c.name === name)?.network ?? '';
  return [
    '--cluster-id',
    mesh.configCluster,
    '--network',
    networkOf(mesh.configCluster),
    '--kubeconfig',
    kubeconfig,
    '--context',
    mesh.configCluster,
    ...mesh.remoteClusters.flatMap((c) => ['--remote', `${kubeconfig}#${c}=${c}@${networkOf(c)}`]),
    '--xds-address',
    formatHostPort(mesh.xds),
    '--admin-address',
    formatHostPort(mesh.admin),
    '--inbound-retry-policy',
    String(mesh.inboundRetryPolicy),
  ];
}

export interface ComponentResolution {
  /** How to run `spillway <args>`: node and bin/spillway of this build. */
  readonly spillway: readonly string[];
  /** Whether this build's CLI has the subcommand (`['lab', 'node-agent']`, `['control-plane']`). */
  readonly hasCommand: (words: readonly string[]) => boolean;
  readonly env: NodeJS.ProcessEnv;
  /** The node executable for override scripts. */
  readonly node: string;
}

function component<L>(
  r: ComponentResolution,
  envName: string,
  words: readonly string[],
  args: (launch: L) => string[],
): LabComponent<L> {
  const override = r.env[envName];
  if (override === 'off') {
    return {
      unavailable: `disabled by ${envName}=off`,
      source: `${envName}=off`,
      command: () => fail(envName),
    };
  }
  if (override !== undefined && override !== '') {
    return {
      source: `${envName}=${override}`,
      command: (launch) => ({ command: r.node, args: [override, ...args(launch)] }),
    };
  }
  const [command, ...prefix] = r.spillway;
  if (command !== undefined && r.hasCommand(words)) {
    return {
      source: `spillway ${words.join(' ')}`,
      command: (launch) => ({ command, args: [...prefix, ...words, ...args(launch)] }),
    };
  }
  return {
    unavailable: `\`spillway ${words.join(' ')}\` is not available yet in this build`,
    source: 'none',
    command: () => fail(envName),
  };
}

function fail(envName: string): never {
  throw new Error(`internal: ${envName} component is unavailable`);
}

/** The components of this build (see the file comment for the override variables). */
export function resolveLabComponents(r: ComponentResolution): LabComponents {
  const [command, ...prefix] = r.spillway;
  if (command === undefined) throw new Error('internal: no spillway command line');
  return {
    apiServer: {
      source: 'spillway apiserver',
      command: (launch) => ({ command, args: [...prefix, ...apiServerArgs(launch)] }),
    },
    nodeAgent: component(r, 'SPILLWAY_LAB_NODE_AGENT', ['lab', 'node-agent'], nodeAgentArgs),
    controlPlane: component(r, 'SPILLWAY_LAB_CONTROL_PLANE', ['control-plane'], controlPlaneArgs),
  };
}
