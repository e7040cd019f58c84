import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeClock, SystemClock, type Clock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import type { ChildCommand } from './lab-components.js';
import { isAlive } from './process-identity.js';
import { SupervisedProcess } from './supervised-process.js';

const dir = mkdtempSync(join(tmpdir(), 'spillway-supervised-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function supervised(
  name: string,
  command: ChildCommand,
  clock: Clock = new SystemClock(),
): SupervisedProcess {
  return new SupervisedProcess({
    name,
    kind: 'node-agent',
    command,
    logFile: join(dir, `${name}.log`),
    clock,
    log: createLogger('supervised-test'),
    onChange: () => {},
  });
}

/** Polls (with a deadline) until `probe` holds. */
async function until(what: string, probe: () => boolean): Promise<void> {
  for (const deadline = performance.now() + 10_000; !probe();) {
    assert.ok(performance.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a supervised lab process', () => {
  test('writes its output to its log file and reports its exit with the end of the log', async () => {
    const p = supervised('exits', { command: 'sh', args: ['-c', 'echo hello from the child; exit 3'] });
    p.start();
    await until('the exit', () => p.hasExited);
    assert.match(readFileSync(join(dir, 'exits.log'), 'utf8'), /hello from the child/);
    assert.match(p.exitSummary(), /exits exited \(exit code 3\); end of .*exits\.log:\nhello from the child/);
    assert.equal(p.state().phase, 'exited');
  });

  test('a command that cannot be started counts as exited, saying why', async () => {
    const p = supervised('missing', { command: join(dir, 'no-such-program'), args: [] });
    p.start();
    await until('the spawn error', () => p.hasExited);
    assert.match(p.exitSummary(), /missing could not be started \(.*no-such-program: spawn .* ENOENT\)/);
  });

  test('once restarts are allowed, an exit is followed by a restart after the back-off', async () => {
    const clock = new FakeClock();
    const p = supervised('flaky', { command: 'sh', args: ['-c', 'exit 1'] }, clock);
    p.start();
    p.allowRestarts();
    const firstPid = p.pid;
    await until('the first exit', () => p.state().phase === 'restarting');
    clock.advance(999);
    assert.equal(p.state().restarts, 0, 'not before the 1 s back-off');
    clock.advance(1);
    assert.equal(p.state().restarts, 1);
    assert.notEqual(p.pid, firstPid);
    await until('the second exit', () => p.state().phase === 'restarting');
    clock.advance(1_999);
    assert.equal(p.state().restarts, 1, 'the back-off doubled to 2 s');
    await p.stop(1_000);
    clock.advance(10_000);
    assert.equal(p.state().restarts, 1, 'no restart after stop');
  });

  test('stop() ends the whole process group, SIGKILL after the grace period if SIGTERM is ignored', async () => {
    const p = supervised('stubborn', {
      command: 'sh',
      args: ['-c', `trap '' TERM; sleep 60 & echo $! > ${join(dir, 'grandchild.pid')}; wait`],
    });
    p.start();
    await until('the grandchild', () => {
      try {
        return readFileSync(join(dir, 'grandchild.pid'), 'utf8').trim() !== '';
      } catch {
        return false;
      }
    });
    const grandchild = Number(readFileSync(join(dir, 'grandchild.pid'), 'utf8'));
    const pid = p.pid;
    await p.stop(200);
    assert.equal(isAlive(pid), false);
    await until('the grandchild to be gone', () => !isAlive(grandchild));
    assert.equal(p.state().phase, 'stopped');
  });
});
