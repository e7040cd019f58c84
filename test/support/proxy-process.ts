/**
 * A real `bin/spillway proxy` child process started from a bootstrap object, with helpers to reach
 * its admin interface and the addresses its listeners are bound to.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { httpGet, type TestResponse } from './http-client.js';
import { spawnSpillway, type RunningCommand } from './spawn-spillway.js';
import { waitFor } from './wait-for.js';

export interface ProxyProcess {
  readonly run: RunningCommand;
  readonly adminUrl: string;
  admin(path: string, options?: { method?: string }): Promise<TestResponse>;
  /** `http://ip:port` of a listener once it is bound (waits for it). */
  listenerUrl(name: string): Promise<string>;
  /** A stat's value from `/stats` (undefined when absent). */
  stat(name: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startProxyProcess(
  bootstrap: Record<string, unknown>,
  dir: string,
  name: string,
): Promise<ProxyProcess> {
  const file = `${dir}/${name}.yaml`;
  const adminFile = `${dir}/${name}.admin`;
  await writeFile(file, stringify(bootstrap));
  const run = spawnSpillway(['proxy', '--config', file, '--admin-address-path', adminFile], {
    SPILLWAY_LOG_LEVEL: 'warn',
  });
  const address = await waitFor(
    `the admin address of ${name}`,
    async () => {
      if (run.child.exitCode !== null) throw new Error(`proxy ${name} exited: ${run.stderr()}`);
      const text = await readFile(adminFile, 'utf8').catch(() => '');
      return text.includes(':') ? text : undefined;
    },
    { timeoutMs: 15_000 },
  );
  const adminUrl = `http://${address}`;
  const admin = (path: string, options: { method?: string } = {}): Promise<TestResponse> =>
    httpGet(`${adminUrl}${path}`, {}, options);
  return {
    run,
    adminUrl,
    admin,
    async listenerUrl(listener: string) {
      return await waitFor(`listener ${listener} of ${name}`, async () => {
        const res = await admin('/listeners?format=json');
        const statuses = (
          JSON.parse(res.body) as {
            listener_statuses: Array<{
              name: string;
              local_address: { socket_address: { address: string; port_value: number } };
            }>;
          }
        ).listener_statuses;
        const found = statuses.find((s) => s.name === listener)?.local_address.socket_address;
        return found === undefined ? undefined : `http://${found.address}:${found.port_value}`;
      });
    },
    async stat(stat: string) {
      const escaped = stat.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const body = (await admin(`/stats?filter=^${encodeURIComponent(escaped)}$`)).body;
      const line = body.split('\n').find((l) => l.startsWith(`${stat}: `));
      return line === undefined ? undefined : Number(line.slice(stat.length + 2));
    },
    async stop() {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        await admin('/quitquitquit', { method: 'POST' }).catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        const exited = await Promise.race([
          run.exited.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
        ]);
        clearTimeout(timer);
        if (!exited) await run.kill();
      }
    },
  };
}
