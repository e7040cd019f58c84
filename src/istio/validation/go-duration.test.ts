import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDurationAtLeast1ms, parseGoDurationNs } from './go-duration.js';

describe('parseGoDurationNs (time.ParseDuration)', () => {
  const cases: ReadonlyArray<[string, number | undefined]> = [
    ['5m', 300e9],
    ['30s', 30e9],
    ['1h30m', 5400e9],
    ['1.5s', 1.5e9],
    ['100ms', 100e6],
    ['250us', 250e3],
    ['-2s', -2e9],
    ['0', 0],
    ['', undefined],
    ['5', undefined],
    ['5x', undefined],
    ['s', undefined],
    ['1h 30m', undefined],
  ];
  for (const [text, ns] of cases) {
    it(`parses ${JSON.stringify(text)} as ${String(ns)}`, () => {
      assert.equal(parseGoDurationNs(text), ns);
    });
  }

  it('applies the CRD rule duration(self) >= 1ms', () => {
    assert.equal(isDurationAtLeast1ms('1ms'), true);
    assert.equal(isDurationAtLeast1ms('999us'), false);
    assert.equal(isDurationAtLeast1ms('0s'), false);
  });
});
