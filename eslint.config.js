// Lint rules: typescript-eslint's recommended set, plus the module dependency direction of
// docs/ARCHITECTURE.md: the data plane (src/proxy) never imports control-plane code and vice versa;
// src/core imports nothing of ours; only src/core/clock.ts and src/core/random.ts touch real time/randomness.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', '.build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      // TypeScript checks undefined names itself (typescript-eslint's advice).
      'no-undef': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict(['../*/**', '!./**'], 'src/core depends on nothing else in the project.'),
  },
  {
    files: ['src/envoy/**/*.ts'],
    rules: restrict(
      ['../proxy/**', '../lab/**', '../cli/**'],
      'src/envoy is the contract; it imports only core.',
    ),
  },
  {
    files: ['src/proxy/**/*.ts'],
    rules: restrict(
      [
        '**/translate/**',
        '**/xds-server/**',
        '**/control-plane/**',
        '**/registry/**',
        '**/istio/**',
        '**/kube/**',
        '**/lab/**',
        '**/cli/**',
      ],
      'The data plane (src/proxy) never imports control-plane, lab or CLI code.',
    ),
  },
  {
    files: ['src/istio/**/*.ts'],
    rules: restrict(
      [
        '**/proxy/**',
        '**/kube/**',
        '**/registry/**',
        '**/translate/**',
        '**/xds-server/**',
        '**/control-plane/**',
        '**/lab/**',
        '**/cli/**',
      ],
      'src/istio (Istio API types and validation) imports only core and envoy.',
    ),
  },
  {
    files: ['src/registry/**/*.ts'],
    rules: restrict(
      ['../proxy/**', '../translate/**', '../xds-server/**', '../control-plane/**', '../lab/**', '../cli/**'],
      'src/registry feeds translation; it never imports translation, serving, the data plane or the lab.',
    ),
  },
  {
    files: ['src/translate/**/*.ts'],
    rules: restrict(
      ['../proxy/**', '../kube/**', '../xds-server/**', '../control-plane/**', '../lab/**', '../cli/**'],
      'src/translate is pure: registry and Istio config in, xDS resources out.',
    ),
  },
  {
    files: ['src/xds-server/**/*.ts'],
    rules: restrict(
      [
        '../proxy/**',
        '../kube/**',
        '../registry/**',
        '../istio/**',
        '../translate/**',
        '../control-plane/**',
        '../lab/**',
        '../cli/**',
      ],
      'src/xds-server serves resource sets; it knows nothing about how they are made.',
    ),
  },
  {
    files: ['src/explain/**/*.ts'],
    ignores: ['src/explain/**/*.test.ts'],
    rules: restrict(
      [
        '../envoy/**',
        '../proxy/**',
        '../istio/**',
        '../kube/**',
        '../registry/**',
        '../translate/**',
        '../xds-server/**',
        '../control-plane/**',
        '../lab/**',
        '../cli/**',
      ],
      'src/explain reads the proxy and control-plane pages as JSON; it imports only core.',
    ),
  },
  {
    files: ['src/control-plane/**/*.ts'],
    rules: restrict(
      ['../proxy/**', '../lab/**', '../cli/**'],
      'The control plane never imports the data plane, the lab or the CLI.',
    ),
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/core/clock.ts', 'src/core/random.ts', 'src/**/*.test.ts', 'src/cli/**', 'src/lab/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the injected Random (src/core/random.ts).' },
        { object: 'Date', property: 'now', message: 'Use the injected Clock (src/core/clock.ts).' },
      ],
    },
  },
);
