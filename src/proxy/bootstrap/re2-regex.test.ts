import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRe2, Re2TranslationError, translateRe2Substitution } from './re2-regex.js';

const fullMatchCases: ReadonlyArray<{ pattern: string; matches: string[]; rejects: string[] }> = [
  { pattern: '/api/v[0-9]+', matches: ['/api/v1', '/api/v22'], rejects: ['/api/v1/x', 'x/api/v1'] },
  { pattern: 'a.c', matches: ['abc', 'a\rc'], rejects: ['a\nc'] },
  { pattern: '(?s)a.c', matches: ['a\nc'], rejects: [] },
  { pattern: '(?i)abc', matches: ['ABC', 'abc'], rejects: ['abd'] },
  { pattern: 'a\\sb', matches: ['a b', 'a\tb'], rejects: ['a\u00a0b', 'a\vb'] },
  { pattern: '(?P<version>v\\d+)', matches: ['v12'], rejects: ['v'] },
  { pattern: '[[:alpha:]]+[[:digit:]]', matches: ['ab1'], rejects: ['ab'] },
  { pattern: '\\Qa.b\\E', matches: ['a.b'], rejects: ['axb'] },
  { pattern: '\\x{41}\\x42', matches: ['AB'], rejects: [] },
  { pattern: '\\pL+', matches: ['héllo'], rejects: ['a1'] },
  { pattern: '\\p{Greek}+', matches: ['αβ'], rejects: ['ab'] },
  { pattern: 'a{2}', matches: ['aa'], rejects: ['a'] },
  { pattern: 'a{,2}', matches: ['a{,2}'], rejects: ['aa'] },
  { pattern: 'x\\-y\\#', matches: ['x-y#'], rejects: [] },
  { pattern: 'a]b', matches: ['a]b'], rejects: [] },
  { pattern: '[]a]+', matches: [']a]'], rejects: ['b'] },
  { pattern: '\\Aab\\z', matches: ['ab'], rejects: ['ab\n'] },
  { pattern: 'a|b', matches: ['a', 'b'], rejects: ['ab'] },
];

for (const c of fullMatchCases) {
  test(`RE2 ${JSON.stringify(c.pattern)} full-matches like Envoy`, () => {
    const regex = compileRe2(c.pattern, { fullMatch: true });
    for (const input of c.matches)
      assert.ok(regex.test(input), `${c.pattern} should match ${JSON.stringify(input)}`);
    for (const input of c.rejects)
      assert.ok(!regex.test(input), `${c.pattern} should not match ${JSON.stringify(input)}`);
  });
}

const rejectedPatterns: ReadonlyArray<{ pattern: string; reason: RegExp }> = [
  { pattern: '(a)\\1', reason: /backreferences/ },
  { pattern: 'a(?=b)', reason: /lookahead\/lookbehind/ },
  { pattern: 'a(?<!b)', reason: /lookahead\/lookbehind/ },
  { pattern: 'a(?i)b', reason: /inline flag groups/ },
  { pattern: '(?i:a)b', reason: /inline flag groups/ },
  { pattern: '(?U)a+', reason: /ungreedy/ },
  { pattern: 'a{1001}', reason: /bad repetition operator/ },
  { pattern: '[a', reason: /missing closing \]/ },
  { pattern: 'a\\Z', reason: /invalid escape sequence: \\Z/ },
  { pattern: '[[:foo:]]', reason: /unsupported character class/ },
  { pattern: 'a**', reason: /cannot compile/ },
];

for (const c of rejectedPatterns) {
  test(`rejects RE2 pattern ${JSON.stringify(c.pattern)}`, () => {
    assert.throws(
      () => compileRe2(c.pattern, { fullMatch: true }),
      (e: unknown) => e instanceof Re2TranslationError && c.reason.test(e.message),
    );
  });
}

test('rewrite regexes replace every match, with RE2 group references translated', () => {
  const regex = compileRe2('^/service/([^/]+)(/.*)$', { fullMatch: false, global: true });
  assert.equal(
    '/service/foo/v1/api'.replace(regex, translateRe2Substitution('\\2/instance/\\1', regex)),
    '/v1/api/instance/foo',
  );
  const dashes = compileRe2('-', { fullMatch: false, global: true });
  assert.equal('a-b-c'.replace(dashes, translateRe2Substitution('$\\0\\\\', dashes)), 'a$-\\b$-\\c');
  assert.throws(
    () => translateRe2Substitution('\\3', regex),
    /refers to group \\3 but the regex has 2 group/,
  );
  assert.throws(() => translateRe2Substitution('\\q', regex), /invalid rewrite pattern/);
});
