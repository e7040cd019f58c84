import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseControlPlaneFlags,
  type ControlPlaneCliFlags,
} from '../../control-plane/control-plane-options.js';
import { planLab } from '../topology/address-plan.js';
import { defaultTopology } from '../topology/default-topology.js';
import { resolveLabComponents, type ComponentResolution } from './lab-components.js';

const plan = planLab(defaultTopology());
const cluster2 = plan.clusters[1];
const mesh1 = plan.meshes[0];
const node = cluster2?.nodes[0];

function resolution(commands: string[][], env: NodeJS.ProcessEnv = {}): ComponentResolution {
  return {
    spillway: ['/usr/bin/node', '/opt/spillway/bin/spillway'],
    hasCommand: (words) => commands.some((c) => c.join(' ') === words.join(' ')),
    env,
    node: '/usr/bin/node',
  };
}

function nodeLaunch() {
  assert.ok(cluster2 !== undefined && node !== undefined);
  return {
    kubeconfig: '/lab/kubeconfig',
    context: 'cluster-2',
    node,
    cluster: cluster2,
    stateDir: `/lab/nodes/${node.name}`,
    labStateDir: '/lab',
    xdsAddress: { host: '127.102.0.2', port: 15010 },
  };
}

/** The flags as commander would hand them to `spillway control-plane`'s action. */
function asFlags(args: readonly string[]): ControlPlaneCliFlags {
  const flags: Record<string, unknown> = { trustDomain: 'cluster.local', remote: [] };
  const names: Record<string, string> = {
    '--cluster-id': 'clusterId',
    '--network': 'network',
    '--kubeconfig': 'kubeconfig',
    '--context': 'context',
    '--xds-address': 'xdsAddress',
    '--admin-address': 'adminAddress',
    '--inbound-retry-policy': 'inboundRetryPolicy',
  };
  for (let i = 0; i < args.length; i += 2) {
    const [name = '', value = ''] = [args[i], args[i + 1]];
    if (name === '--remote') (flags['remote'] as string[]).push(value);
    else {
      const key = names[name];
      assert.ok(key !== undefined, `unexpected flag ${name}`);
      flags[key] = value;
    }
  }
  return flags as unknown as ControlPlaneCliFlags;
}

describe('the commands the supervisor starts', () => {
  test('API servers: spillway apiserver on the planned address, with lab sidecar injection', () => {
    const c = resolveLabComponents(resolution([]));
    assert.ok(cluster2 !== undefined);
    assert.deepEqual(
      c.apiServer.command({ cluster: cluster2, dataDir: '/lab/d', kubeconfigPath: '/lab/k' }),
      {
        command: '/usr/bin/node',
        args: [
          '/opt/spillway/bin/spillway',
          'apiserver',
          '--data-dir',
          '/lab/d',
          '--address',
          '127.102.0.1',
          '--port',
          '6443',
          '--cluster-name',
          'cluster-2',
          '--write-kubeconfig',
          '/lab/k',
          '--sidecar-injection',
          'lab',
          '--sidecar-network',
          'network-1',
        ],
      },
    );
  });

  test('node agent: `spillway lab node-agent` with kubeconfig, context, node and state dir when the build has it', () => {
    const c = resolveLabComponents(resolution([['lab', 'node-agent']]));
    assert.equal(c.nodeAgent.unavailable, undefined);
    assert.deepEqual(c.nodeAgent.command(nodeLaunch()).args, [
      '/opt/spillway/bin/spillway',
      'lab',
      'node-agent',
      '--kubeconfig',
      '/lab/kubeconfig',
      '--context',
      'cluster-2',
      '--node',
      'cluster-2-ap-northeast-1a-1',
      '--state-dir',
      '/lab/nodes/cluster-2-ap-northeast-1a-1',
    ]);
  });

  test('control plane: flags the real option parser accepts, remotes from the lab kubeconfig', () => {
    const c = resolveLabComponents(resolution([['control-plane']]));
    assert.ok(mesh1 !== undefined);
    const cmd = c.controlPlane.command({ mesh: mesh1, plan, kubeconfig: '/lab/kubeconfig' });
    assert.deepEqual(cmd.args.slice(0, 2), ['/opt/spillway/bin/spillway', 'control-plane']);
    const options = parseControlPlaneFlags(asFlags(cmd.args.slice(2)));
    assert.deepEqual(options.local, {
      clusterId: 'cluster-1',
      network: 'network-1',
      kubeconfig: '/lab/kubeconfig',
      context: 'cluster-1',
    });
    assert.deepEqual(options.remotes, [
      { clusterId: 'cluster-2', network: 'network-1', kubeconfig: '/lab/kubeconfig', context: 'cluster-2' },
    ]);
    assert.deepEqual(
      [options.xdsAddress, options.adminAddress],
      [
        { host: '127.101.0.2', port: 15010 },
        { host: '127.101.0.2', port: 15014 },
      ],
    );
    // The seed topology turns istiod's inbound retries off (docs/lab.md).
    assert.equal(options.enableInboundRetryPolicy, mesh1.inboundRetryPolicy);
  });

  test('a subcommand missing from this build makes the component unavailable, saying so', () => {
    const c = resolveLabComponents(resolution([]));
    assert.equal(c.nodeAgent.unavailable, '`spillway lab node-agent` is not available yet in this build');
    assert.equal(c.controlPlane.unavailable, '`spillway control-plane` is not available yet in this build');
    assert.throws(() => c.nodeAgent.command(nodeLaunch()), /unavailable/);
  });

  test('an override script runs with node and the same arguments; off disables the component', () => {
    const c = resolveLabComponents(
      resolution([['control-plane']], {
        SPILLWAY_LAB_NODE_AGENT: '/tests/stand-in-node-agent.js',
        SPILLWAY_LAB_CONTROL_PLANE: 'off',
      }),
    );
    const cmd = c.nodeAgent.command(nodeLaunch());
    assert.equal(cmd.command, '/usr/bin/node');
    assert.deepEqual(cmd.args.slice(0, 3), [
      '/tests/stand-in-node-agent.js',
      '--kubeconfig',
      '/lab/kubeconfig',
    ]);
    assert.equal(c.controlPlane.unavailable, 'disabled by SPILLWAY_LAB_CONTROL_PLANE=off');
  });
});
