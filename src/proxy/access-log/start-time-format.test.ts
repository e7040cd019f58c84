import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import { compileTimeFormat, formatDefaultStartTime } from './start-time-format.js';
import { fixedWallMs } from './stream-info-fixture.js';

describe('START_TIME formats', () => {
  // fixedWallMs is 2018-04-03T23:06:09.123Z, a Tuesday, day 93 of the year.
  const cases: Array<{ format: string; expected: string }> = [
    { format: '', expected: '2018-04-03T23:06:09.123Z' },
    { format: '%Y/%m/%d', expected: '2018/04/03' },
    { format: '%Y/%m/%dT%H:%M:%S%z %s', expected: '2018/04/03T23:06:09+0000 1522796769' },
    { format: '%s', expected: '1522796769' },
    { format: '%s.%3f', expected: '1522796769.123' },
    { format: '%s.%6f', expected: '1522796769.123000' },
    { format: '%s.%9f', expected: '1522796769.123000000' },
    { format: '%f', expected: '123000000' },
    { format: '%1f|%*f', expected: '1|123' },
    { format: '%E3S|%E*S|%E6f', expected: '09.123|09.123|123000' },
    { format: '%Y-%m-%dT%H:%M:%S.%3fZ', expected: '2018-04-03T23:06:09.123Z' },
    { format: '%F %T %Z', expected: '2018-04-03 23:06:09 UTC' },
    { format: '%a %A %b %B %e', expected: 'Tue Tuesday Apr April  3' },
    { format: '%c', expected: 'Tue Apr  3 23:06:09 2018' },
    { format: '%D %R %r', expected: '04/03/18 23:06 11:06:09 PM' },
    { format: '%j %u %w %y %C', expected: '093 2 2 18 20' },
    { format: '%Ez %E4Y', expected: '+00:00 2018' },
    { format: '100%% at %H', expected: '100% at 23' },
    { format: '%Q stays', expected: '%Q stays' },
  ];
  for (const c of cases) {
    it(`formats "${c.format}" as "${c.expected}"`, () => {
      assert.equal(compileTimeFormat(c.format)(fixedWallMs), c.expected);
    });
  }

  it('drops the fraction for %E*S and keeps one digit for %*f on a whole second', () => {
    assert.equal(compileTimeFormat('%E*S|%*f|%3f')(Date.UTC(2026, 0, 1, 0, 0, 7)), '07|0|000');
  });

  it('pads milliseconds in the default format', () => {
    assert.equal(formatDefaultStartTime(Date.UTC(2026, 0, 1, 0, 0, 7, 5)), '2026-01-01T00:00:07.005Z');
  });

  it('rejects a format that could print a newline', () => {
    for (const format of ['%n', '%-n', '%En', 'a%5n']) {
      assert.throws(() => compileTimeFormat(format), ConfigError, format);
    }
  });
});
