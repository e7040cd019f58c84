import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration, timestampSince } from './human-duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (HumanDuration of apimachinery)', () => {
  const cases: ReadonlyArray<[number, string]> = [
    [-3 * s, '<invalid>'],
    [-1500, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [5 * m + 30 * s, '5m30s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 2 * m, '3h2m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [48 * h, '2d'],
    [3 * d + 4 * h, '3d4h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [760 * d, '2y30d'],
    [8 * 365 * d, '8y'],
    [20 * 365 * d, '20y'],
  ];
  for (const [ms, expected] of cases) {
    it(`prints ${ms} ms as ${expected}`, () => {
      assert.equal(humanDuration(ms), expected);
    });
  }
});

describe('timestampSince', () => {
  it('prints the age of an RFC 3339 timestamp and <unknown> without one', () => {
    const now = Date.parse('2026-01-01T03:02:00Z');
    assert.equal(timestampSince('2026-01-01T00:00:00Z', now), '3h2m');
    assert.equal(timestampSince(undefined, now), '<unknown>');
    assert.equal(timestampSince('yesterday', now), '<unknown>');
  });
});
