/**
 * `spillway lab fault|heal|logs` against a real lab (`spillway lab up --detach`: API server, two
 * node agents, control plane; addresses 127.41.x and 127.141.x): a tiny app - Service `web` with a
 * Deployment per zone, Service `api` in zone h, a command pod `talker` in zone k - all with sidecars.
 * Every check goes through the pods' sidecars with real curl (`http://<podIP>:8000/`) or real
 * kubectl: each fault kind has its effect on the target and nowhere else, zone/ and --service select
 * what they should, heal restores, a --duration heals by itself, errors are clear and leave nothing
 * half-applied, `lab logs` shows a container's output.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NodeAgentClient } from '../../src/lab/faults/node-agent-client.js';
import { runCommand, type CommandResult } from '../support/run-command.js';
import { spawnSpillway, type RunningCommand } from '../support/spawn-spillway.js';
import { waitFor } from '../support/wait-for.js';

const zoneH = 'cn-hangzhou-h';
const zoneK = 'cn-hangzhou-k';
const seedRefused =
  'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused';

const topology = `apiVersion: spillway.io/v1alpha1
kind: LabTopology
metadata:
  name: faults
spec:
  addressBase: 40
  regions:
    - name: cn-hangzhou
      zones: [${zoneH}, ${zoneK}]
  clusters:
    - { name: cluster-1, region: cn-hangzhou, network: network-1, nodesPerZone: 1, ingressPort: 8080 }
  meshes:
    - { name: mesh-1, region: cn-hangzhou, configCluster: cluster-1, inboundRetryPolicy: false }
`;

function sampleDeployment(name: string, app: string, zone: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app, deployment: name } },
        spec: {
          nodeSelector: { 'topology.kubernetes.io/zone': zone },
          containers: [
            {
              name: app,
              image: 'example/go-http-sample:1',
              env: [
                { name: 'app', value: app },
                { name: 'version', value: zone },
              ],
              ports: [{ containerPort: 8000 }],
            },
          ],
        },
      },
    },
  };
}

const service = (name: string): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, ports: [{ name: 'http', port: 8000 }] },
});

// Both web Deployments select `app: web`, as the seed's per-zone Deployments share `app: mocka`:
// deployment/<name> must still mean that Deployment's pods only.
const app = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    service('web'),
    service('api'),
    sampleDeployment('web-h', 'web', zoneH),
    sampleDeployment('web-k', 'web', zoneK),
    sampleDeployment('api-h', 'api', zoneH),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'talker', namespace: 'default' },
      spec: {
        nodeSelector: { 'topology.kubernetes.io/zone': zoneK },
        containers: [
          {
            name: 'talker',
            image: 'example/busybox:1',
            command: ['sh', '-c', 'echo talker says hello; echo talker line two; exec sleep 3600'],
          },
        ],
      },
    },
  ],
};

interface Answer {
  /** HTTP status; 0 when curl got no answer. */
  readonly status: number;
  readonly body: string;
  readonly seconds: number;
  /** curl's exit code: 28 is its timeout. */
  readonly curlExit: number | null;
}

interface Pods {
  webH: { name: string; ip: string };
  webK: { name: string; ip: string };
  apiH: { name: string; ip: string };
  talker: { name: string; ip: string };
}

describe('spillway lab fault, heal and logs on a real lab', () => {
  let dir: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let pods: Pods;
  const running: RunningCommand[] = [];

  const spillway = async (args: string[], state = stateDir): Promise<CommandResult> => {
    const run = spawnSpillway([...args, '--state-dir', state], env);
    running.push(run);
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  };
  const lab = (args: string[], state = stateDir): Promise<CommandResult> => spillway(['lab', ...args], state);
  const kubectl = (args: string[], input?: string): Promise<CommandResult> =>
    runCommand('kubectl', ['--context', 'cluster-1', ...args], {
      env: { ...process.env, KUBECONFIG: join(stateDir, 'kubeconfig'), HOME: dir },
      ...(input !== undefined ? { input } : {}),
    });
  const curl = async (ip: string, maxTimeS = 10): Promise<Answer> => {
    const r = await runCommand(
      'curl',
      ['-s', '--max-time', String(maxTimeS), '-w', '\n%{http_code} %{time_total}', `http://${ip}:8000/`],
      { timeoutMs: (maxTimeS + 5) * 1000 },
    );
    const nl = r.stdout.lastIndexOf('\n');
    const [status = '0', seconds = '0'] = r.stdout.slice(nl + 1).split(' ');
    return {
      status: Number(status),
      body: r.stdout.slice(0, nl),
      seconds: Number(seconds),
      curlExit: r.code,
    };
  };
  /** Polls until the pod answers its sample-app greeting with 200 (healed, or never broken). */
  const answersNormally = (pod: { name: string; ip: string }): Promise<Answer> =>
    waitFor(
      `${pod.name} (${pod.ip}) to answer 200`,
      async () => {
        const a = await curl(pod.ip, 5);
        return a.status === 200 && a.body.includes(`ip: ${pod.ip})`) ? a : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  const json = (r: CommandResult): Record<string, unknown> => {
    assert.equal(r.code, 0, `exit 0 expected: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const agentOf = async (zone: string): Promise<NodeAgentClient> => {
    const state = JSON.parse(await readFile(join(stateDir, 'lab.json'), 'utf8')) as {
      clusters: Array<{ nodes: Array<{ name: string; zone: string; stateDir: string }> }>;
    };
    const node = state.clusters[0]?.nodes.find((n) => n.zone === zone);
    assert.ok(node !== undefined, zone);
    return new NodeAgentClient(node.name, node.stateDir);
  };
  const faultOf = async (zone: string, pod: string): Promise<unknown> =>
    (await (await agentOf(zone)).pod('default', pod))['fault'];
  const restarts = async (pod: string): Promise<number> => {
    const r = await kubectl([
      'get',
      'pod',
      pod,
      '-o',
      'jsonpath={.status.containerStatuses[*].restartCount}',
    ]);
    return r.stdout
      .split(' ')
      .map(Number)
      .reduce((a, b) => a + b, 0);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-lab-fault-'));
    stateDir = join(dir, 'state');
    env = { HOME: dir, SPILLWAY_LOG_LEVEL: 'info' };
    const topologyFile = join(dir, 'topology.yaml');
    await writeFile(topologyFile, topology);
    const up = await lab(['up', '-f', topologyFile, '--detach', '--timeout', '90']);
    assert.equal(up.code, 0, `lab up failed:\n${up.stderr}`);
    const applied = await kubectl(['apply', '-f', '-'], JSON.stringify(app));
    assert.equal(applied.code, 0, applied.stderr);
    const find = async (selector: string): Promise<{ name: string; ip: string }> =>
      await waitFor(
        `a Ready pod ${selector}`,
        async () => {
          const r = await kubectl(['get', 'pods', '-l', selector, '-o', 'json']);
          const list = JSON.parse(r.stdout) as {
            items: Array<{
              metadata: { name: string };
              status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
            }>;
          };
          const pod = list.items.find((p) =>
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          );
          return pod?.status?.podIP !== undefined
            ? { name: pod.metadata.name, ip: pod.status.podIP }
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    pods = {
      webH: await find('deployment=web-h'),
      webK: await find('deployment=web-k'),
      apiH: await find('deployment=api-h'),
      talker: await find('!app'),
    };
    for (const pod of [pods.webH, pods.webK, pods.apiH]) await answersNormally(pod);
  });

  after(async () => {
    await lab(['down']).catch(() => {});
    for (const r of running) await r.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('lab --help lists fault, heal and logs', async () => {
    const help = await spillway(['lab', '--help']);
    for (const word of ['fault', 'heal', 'logs'])
      assert.match(help.stdout, new RegExp(`^\\s+${word}\\b`, 'm'));
  });

  test('refuse on deployment/web-h: its connections are refused (the sidecar answers 503), web-k and api-h are untouched, heal restores', async () => {
    const r = await lab(['fault', 'deployment/web-h', '--kind', 'refuse']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^${pods.webH.name}\\s+default\\s+cluster-1\\s+${zoneH}\\s+refuse\\s+until healed\\s+broken$`,
        'm',
      ),
    );
    assert.ok(!r.stdout.includes(pods.webK.name), 'only web-h, although web-k shares its selector');
    assert.match(r.stdout, /1 pod broken; heal with: spillway lab heal deployment\/web-h/);
    const broken = await curl(pods.webH.ip);
    assert.equal(broken.status, 503);
    assert.equal(broken.body, seedRefused);
    await answersNormally(pods.webK);
    await answersNormally(pods.apiH);

    const healed = await lab(['heal', 'deployment/web-h']);
    assert.equal(healed.code, 0, healed.stderr);
    assert.match(
      healed.stdout,
      new RegExp(`^${pods.webH.name}\\s+default\\s+cluster-1\\s+${zoneH}\\s+healed$`, 'm'),
    );
    await answersNormally(pods.webH);
    assert.equal(await faultOf(zoneH, pods.webH.name), null);
  });

  test('http-5xx on zone/cn-hangzhou-h --service web: only web-h answers the status; heal with the same selectors restores it', async () => {
    const r = json(
      await lab([
        'fault',
        `zone/${zoneH}`,
        '--service',
        'web',
        '--kind',
        'http-5xx',
        '--status',
        '502',
        '--json',
      ]),
    );
    assert.equal(r['ok'], true);
    assert.deepEqual(r['fault'], { kind: 'http-5xx', status: 502 });
    const broken = r['pods'] as Array<Record<string, unknown>>;
    assert.deepEqual(
      broken.map((p) => [p['pod'], p['cluster'], p['zone'], p['podIP'], p['kind'], p['until'], p['result']]),
      [[pods.webH.name, 'cluster-1', zoneH, pods.webH.ip, 'http-5xx', null, 'broken']],
    );
    const answer = await curl(pods.webH.ip);
    assert.equal(answer.status, 502, "the sidecar passes the app's 502 through");
    assert.equal(answer.body, 'fault injected: http-502');
    await answersNormally(pods.apiH); // same zone, other Service
    await answersNormally(pods.webK); // same Service, other zone

    const healed = json(await lab(['heal', `zone/${zoneH}`, '--service', 'web', '--json']));
    assert.deepEqual(
      (healed['pods'] as Array<Record<string, unknown>>).map((p) => [p['pod'], p['result']]),
      [[pods.webH.name, 'healed']],
    );
    await answersNormally(pods.webH);
  });

  test('a --duration heals by itself: the agent reports when, and the pod answers again without a heal', async () => {
    const r = json(
      await lab(['fault', `pod/${pods.apiH.name}`, '--kind', 'refuse', '--duration', '2s', '--json']),
    );
    const [pod] = r['pods'] as Array<Record<string, unknown>>;
    assert.equal(pod?.['result'], 'broken');
    assert.ok(
      !Number.isNaN(Date.parse(String(pod?.['until']))),
      `until is a time: ${String(pod?.['until'])}`,
    );
    assert.deepEqual(r['fault'], { kind: 'refuse', durationMs: 2000 });
    await waitFor(
      'the agent to heal api-h by itself',
      async () => (await faultOf(zoneH, pods.apiH.name)) === null,
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    await answersNormally(pods.apiH);
  });

  test('http-5xx without a duration stays until healed, with the default 503', async () => {
    const r = await lab(['fault', `pod/${pods.apiH.name}`, '--kind', 'http-5xx']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /http-503\s+until healed\s+broken/);
    const answer = await curl(pods.apiH.ip);
    assert.equal(answer.status, 503);
    assert.equal(answer.body, 'fault injected: http-503');
    assert.equal((await lab(['heal', pods.apiH.name])).code, 0);
    await answersNormally(pods.apiH);
  });

  test('hang on a pod: connections are accepted but never answered, until healed', async () => {
    const r = await lab(['fault', pods.webK.name, '--kind', 'hang']);
    assert.equal(r.code, 0, r.stderr);
    const silent = await curl(pods.webK.ip, 2);
    assert.equal(silent.curlExit, 28, 'curl timed out');
    assert.equal(silent.status, 0, 'no answer at all');
    await answersNormally(pods.webH);
    const fault = (await faultOf(zoneK, pods.webK.name)) as Record<string, unknown>;
    assert.equal(fault['kind'], 'hang');
    assert.equal(fault['container'], 'web');
    assert.equal((await lab(['heal', `pod/${pods.webK.name}`])).code, 0);
    await answersNormally(pods.webK);
  });

  test('delay on deployment/web-k: answers come at least the delay later, the body unchanged', async () => {
    const r = await lab(['fault', 'deployment/web-k', '--kind', 'delay', '--delay', '1500ms']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /delay 1\.5s\s+until healed\s+broken/);
    const late = await curl(pods.webK.ip, 20);
    assert.equal(late.status, 200);
    assert.ok(late.body.includes(`ip: ${pods.webK.ip})`), late.body);
    assert.ok(late.seconds >= 1.5, `answered after ${late.seconds} s, not before the 1.5 s delay`);
    assert.equal(await faultOf(zoneH, pods.webH.name), null, 'web-h has no fault');
    assert.equal((await lab(['heal', 'deployment/web-k'])).code, 0);
    assert.equal(await faultOf(zoneK, pods.webK.name), null);
  });

  test('kill on deployment/api-h: its container restarts (restartCount + 1), the other pods do not', async () => {
    const before = {
      api: await restarts(pods.apiH.name),
      webH: await restarts(pods.webH.name),
      webK: await restarts(pods.webK.name),
    };
    const r = await lab(['fault', 'deployment/api-h', '--kind', 'kill']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kill\s+once \(restarts\)\s+killed/);
    await waitFor(
      'api-h to count a restart',
      async () => (await restarts(pods.apiH.name)) === before.api + 1,
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    await answersNormally(pods.apiH);
    assert.equal(await restarts(pods.webH.name), before.webH);
    assert.equal(await restarts(pods.webK.name), before.webK);
  });

  test('heal without a target heals every fault of the lab and says which', async () => {
    assert.equal((await lab(['fault', 'deployment/web-h', '--kind', 'refuse'])).code, 0);
    assert.equal((await lab(['fault', 'pod/talker', '--kind', 'hang'])).code, 0);
    assert.equal((await curl(pods.webH.ip)).status, 503);
    const r = json(await lab(['heal', '--json']));
    assert.equal(r['ok'], true);
    const healed = (r['pods'] as Array<Record<string, unknown>>)
      .map((p) => `${String(p['zone'])}/${String(p['pod'])}`)
      .sort();
    assert.deepEqual(healed, [`${zoneH}/${pods.webH.name}`, `${zoneK}/talker`].sort());
    await answersNormally(pods.webH);
    assert.equal(await faultOf(zoneK, 'talker'), null);
    const again = await lab(['heal']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /no fault to heal \(2 of 2 node agents asked\)/);
  });

  test('a kind a pod cannot take fails the check and nothing of the target is broken', async () => {
    const r = await lab(['fault', 'cluster/cluster-1', '--kind', 'refuse']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^talker\s+default\s+cluster-1\s+cn-hangzhou-k\s+refuse\s+-\s+failed$/m);
    assert.match(r.stdout, new RegExp(`^${pods.webH.name}\\s.*not applied$`, 'm'));
    assert.match(
      r.stdout,
      /cluster-1\/talker: container talker of pod talker runs a command, not the built-in sample app: it supports hang, kill only/,
    );
    assert.match(r.stdout, /nothing was applied/);
    for (const pod of [pods.webH, pods.webK, pods.apiH]) await answersNormally(pod);
  });

  test('targets that match nothing, unknown names and bad flags are refused with a clear message', async () => {
    const refused = async (args: string[], pattern: RegExp): Promise<void> => {
      const r = await lab(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.equal(r.stdout, '', 'nothing was applied, nothing printed as applied');
    };
    await refused(
      ['fault', 'service/web', '--kind', 'refuse'],
      /unknown target 'service\/web': use pod\/<name>/,
    );
    await refused(
      ['fault', 'pod/nope', '--kind', 'refuse'],
      /pod\/nope not found in namespace default of cluster-1 \[SPILLWAY_ERR_LAB_TARGET_INVALID\]/,
    );
    await refused(
      ['fault', 'deployment/web-h', '-n', 'other', '--kind', 'refuse'],
      /deployment\/web-h not found in namespace other of cluster-1/,
    );
    await refused(
      ['fault', 'zone/mars-1a', '--kind', 'refuse'],
      /unknown zone 'mars-1a' \(zones with lab nodes: cn-hangzhou-h, cn-hangzhou-k\)/,
    );
    await refused(
      ['fault', 'cluster/cluster-9', '--kind', 'refuse'],
      /unknown cluster 'cluster-9' \(clusters of the lab: cluster-1\)/,
    );
    await refused(
      ['fault', 'pod/talker', '--context', 'cluster-2', '--kind', 'hang'],
      /unknown cluster 'cluster-2'/,
    );
    await refused(
      ['fault', 'zone/cn-hangzhou-k', '--service', 'nope', '--kind', 'refuse'],
      /Service nope not found in namespace default of cluster-1/,
    );
    await refused(
      ['fault', 'deployment/web-h', '--service', 'api', '--kind', 'refuse'],
      /no running pods match deployment\/web-h --service api/,
    );
    await refused(
      ['fault', 'deployment/web-h', '--kind', 'explode'],
      /--kind must be one of refuse, hang, http-5xx, delay, kill, got 'explode' \[SPILLWAY_ERR_LAB_FAULT_INVALID\]/,
    );
    await refused(
      ['fault', 'deployment/web-h', '--kind', 'refuse', '--duration', '30'],
      /--duration '30' is not a duration/,
    );
    await refused(['fault', 'deployment/web-h'], /required option '--kind <kind>' not specified/);
    await refused(['heal', '--service', 'web'], /--service needs a target/);
    await refused(['logs', 'talker', '-c', 'nope'], /pod talker has no container nope \(containers: /);
    for (const pod of [pods.webH, pods.webK])
      assert.equal(await faultOf(pod === pods.webH ? zoneH : zoneK, pod.name), null);
  });

  test('an unreachable node agent is reported per pod and nothing is applied on the others', async () => {
    // A state directory that describes the running lab, except that the agent of zone k "moved" to
    // an address where nothing listens.
    const fake = join(dir, 'fake-state');
    const gone = join(fake, 'nodes', 'gone');
    await mkdir(gone, { recursive: true });
    await writeFile(join(gone, 'control-token'), 'x\n');
    await writeFile(
      join(gone, 'control.json'),
      JSON.stringify({ node: 'gone', url: 'http://127.41.9.1:9', tokenFile: join(gone, 'control-token') }),
    );
    const state = JSON.parse(await readFile(join(stateDir, 'lab.json'), 'utf8')) as {
      clusters: Array<{ nodes: Array<{ zone: string; stateDir: string }> }>;
    };
    for (const node of state.clusters[0]?.nodes ?? []) if (node.zone === zoneK) node.stateDir = gone;
    await writeFile(join(fake, 'lab.json'), JSON.stringify(state));

    const r = await lab(['fault', 'cluster/cluster-1', '--service', 'web', '--kind', 'refuse'], fake);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${pods.webH.name}\\s.*not applied$`, 'm'));
    assert.match(
      r.stdout,
      new RegExp(
        `cluster-1/${pods.webK.name}: node agent of cluster-1-cn-hangzhou-k-1 \\(127\\.41\\.9\\.1:9\\) is not reachable: connect ECONNREFUSED`,
      ),
    );
    await answersNormally(pods.webH);

    const heal = await lab(['heal'], fake);
    assert.equal(heal.code, 1);
    assert.match(
      heal.stdout,
      /node cluster-1-cn-hangzhou-k-1 \(cluster-1\): node agent of .* is not reachable/,
    );
    assert.match(heal.stdout, /no fault to heal \(1 of 2 node agents asked\)/);
  });

  test('lab logs prints a container log through the node agent: the app, -c sidecar, --tail', async () => {
    const talker = await lab(['logs', 'talker']);
    assert.equal(talker.code, 0, talker.stderr);
    assert.match(talker.stdout, /^talker says hello\ntalker line two\n/);
    const tail = await lab(['logs', 'pod/talker', '--tail', '1']);
    assert.equal(tail.stdout, 'talker line two\n');
    const sidecar = await lab(['logs', pods.webH.name, '-c', 'sidecar']);
    assert.equal(sidecar.code, 0, sidecar.stderr);
    assert.match(sidecar.stdout, /proxy live: initial configuration applied/);
    const appLog = await lab(['logs', pods.webH.name]);
    assert.match(appLog.stdout, /listening on /);
    assert.match(appLog.stdout, /fault refuse: listener closed/, 'the app log shows the faults it took');
  });

  test('with the lab stopped, fault and heal say so', async () => {
    const none = await lab(['heal'], join(dir, 'no-lab-here'));
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /no lab in .*no-lab-here: start one with `spillway lab up --detach`.*\[SPILLWAY_ERR_LAB_NOT_RUNNING\]/,
    );
    assert.equal((await lab(['down'])).code, 0);
    const stopped = await lab(['fault', 'deployment/web-h', '--kind', 'refuse']);
    assert.equal(stopped.code, 1);
    assert.match(
      stopped.stderr,
      /the lab in .* is not running: it is stopped; start it with `spillway lab up --detach`/,
    );
  });
});
