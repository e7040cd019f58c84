import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SystemClock } from '../../core/clock.js';
import type { ProbeHandler } from './pod-spec.js';
import { resolveProbePort, runProbe, type ProbeTarget } from './prober.js';

const host = '127.87.250.1';
const clock = new SystemClock();

describe('probes over real sockets (kubelet wording)', () => {
  const servers: Array<http.Server | net.Server> = [];
  let httpPort = 0;
  let hangPort = 0;
  let closedPort = 0;
  const seenHeaders: http.IncomingHttpHeaders[] = [];
  const held: net.Socket[] = [];

  function target(ports: ProbeTarget['ports'] = []): ProbeTarget {
    return { defaultHost: host, ports, env: { PATH: process.env['PATH'] ?? '' }, workingDir: undefined };
  }

  function http200(path: string, port: number | string): ProbeHandler {
    return {
      type: 'httpGet',
      path,
      port,
      host: undefined,
      scheme: 'HTTP',
      headers: [{ name: 'X-Probe', value: 'yes' }],
    };
  }

  before(async () => {
    const web = http.createServer((req, res) => {
      seenHeaders.push(req.headers);
      res.statusCode = req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 500;
      res.end();
    });
    const hang = net.createServer((socket) => held.push(socket)); // accepts, never answers
    const closed = net.createServer();
    for (const s of [web, hang, closed]) {
      await new Promise<void>((resolve) => s.listen(0, host, resolve));
      servers.push(s);
    }
    httpPort = (web.address() as AddressInfo).port;
    hangPort = (hang.address() as AddressInfo).port;
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });

  after(async () => {
    for (const socket of held) socket.destroy();
    for (const s of servers) {
      if ('closeAllConnections' in s) s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  test('httpGet: 2xx and 3xx succeed, with the kubelet user agent and the probe headers', async () => {
    assert.deepEqual(await runProbe(http200('/ok', httpPort), target(), 1000, clock), {
      result: 'success',
      output: '',
    });
    assert.deepEqual(await runProbe(http200('/moved', httpPort), target(), 1000, clock), {
      result: 'success',
      output: '',
    });
    assert.equal(seenHeaders[0]?.['user-agent'], 'kube-probe/1.32');
    assert.equal(seenHeaders[0]?.['x-probe'], 'yes');
  });

  test('httpGet failures: a status, a refused connection, a timeout', async () => {
    assert.deepEqual(await runProbe(http200('/bad', httpPort), target(), 1000, clock), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 500',
    });
    assert.deepEqual(await runProbe(http200('/x', closedPort), target(), 1000, clock), {
      result: 'failure',
      output: `Get "http://${host}:${closedPort}/x": dial tcp ${host}:${closedPort}: connect: connection refused`,
    });
    assert.deepEqual(await runProbe(http200('/x', hangPort), target(), 200, clock), {
      result: 'failure',
      output: `Get "http://${host}:${hangPort}/x": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  test('named ports resolve from the container; an unknown name is a probe error', async () => {
    const ports = [{ containerPort: httpPort, name: 'http', protocol: 'TCP' }];
    assert.equal(resolveProbePort('http', ports), httpPort);
    assert.equal(resolveProbePort('8080', ports), 8080);
    assert.equal(resolveProbePort(0, ports), 'invalid port number: 0');
    assert.deepEqual(await runProbe(http200('/ok', 'http'), target(ports), 1000, clock), {
      result: 'success',
      output: '',
    });
    assert.deepEqual(await runProbe(http200('/ok', 'admin'), target(ports), 1000, clock), {
      error: "couldn't find port: admin in the container's ports",
    });
  });

  test('tcpSocket: open, refused', async () => {
    const tcp = (port: number): ProbeHandler => ({ type: 'tcpSocket', port, host: undefined });
    assert.deepEqual(await runProbe(tcp(httpPort), target(), 1000, clock), { result: 'success', output: '' });
    assert.deepEqual(await runProbe(tcp(closedPort), target(), 1000, clock), {
      result: 'failure',
      output: `dial tcp ${host}:${closedPort}: connect: connection refused`,
    });
  });

  test('exec: exit 0 succeeds; otherwise the output is the message; a timeout fails', async () => {
    const exec = (...command: string[]): ProbeHandler => ({ type: 'exec', command });
    assert.deepEqual(await runProbe(exec('true'), target(), 2000, clock), { result: 'success', output: '' });
    assert.deepEqual(await runProbe(exec('sh', '-c', 'echo not yet; exit 1'), target(), 2000, clock), {
      result: 'failure',
      output: 'not yet',
    });
    assert.deepEqual(await runProbe(exec('sleep', '5'), target(), 200, clock), {
      result: 'failure',
      output: 'command "sleep 5" timed out',
    });
    assert.deepEqual(await runProbe(exec('no-such-binary-here'), target(), 2000, clock), {
      result: 'failure',
      output: 'exec: "no-such-binary-here": executable file not found in $PATH',
    });
  });
});
