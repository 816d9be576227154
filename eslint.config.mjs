import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * Who may import whom. `type:*` is the layer, `scope:*` the deployable that owns a project.
 * Domain code stays pure (contracts only); adapters may use the domain; apps compose everything but never
 * each other; test helpers and tools are reachable from tests, never from production code.
 */
const layers = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:domain', 'type:contracts'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:testing', 'type:tool', 'type:infra', 'type:domain', 'type:contracts'],
  },
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: ['type:tool', 'type:testing', 'type:infra', 'type:domain', 'type:contracts'],
  },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:infra', 'type:domain', 'type:contracts'] },
  // End-to-end tests drive the apps as processes: they import libraries and the harness, never an app.
  {
    sourceTag: 'type:e2e',
    onlyDependOnLibsWithTags: ['type:testing', 'type:tool', 'type:infra', 'type:domain', 'type:contracts'],
  },
];
const scopes = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
  { sourceTag: 'scope:matching-engine', onlyDependOnLibsWithTags: ['scope:matching-engine', 'scope:shared'] },
  { sourceTag: 'scope:orchestrator', onlyDependOnLibsWithTags: ['scope:orchestrator', 'scope:shared'] },
  { sourceTag: 'scope:system', onlyDependOnLibsWithTags: ['scope:system', 'scope:shared'] },
  // The web console runs in browsers: it talks to the gateway over HTTP only and shares no code with it.
  { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:console', 'scope:shared'] },
];
// Tests of any project may also use the testing helpers (real-infra harness, builders, fakes).
const inTests = layers.map((c) =>
  c.sourceTag === 'type:contracts' || c.sourceTag === 'type:testing' || c.sourceTag === 'type:tool'
    ? c
    : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] },
);

const boundaries = (depConstraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints, checkDynamicDependenciesExceptions: [] },
];
const testFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/testing/**/*.ts'];
// Benchmarks may also bring up local infrastructure (tools/infra), as the tests' harness does.
const benchFiles = ['**/*.bench.ts'];
const inBenches = inTests.map((c) =>
  c.onlyDependOnLibsWithTags.includes('type:testing') && !c.onlyDependOnLibsWithTags.includes('type:tool')
    ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:tool'] }
    : c,
);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', '**/.infra/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries([...layers, ...scopes]),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A project's public API is its package.json `exports`; reaching into its files couples to internals.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@shardex/*/src', '@shardex/*/src/**'],
              message: 'Import a project through its public entry point.',
            },
            {
              group: ['**/../libs/**', '**/../apps/**', '**/../tools/**'],
              message: 'Import another project by its package name.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is never floating point.' },
      ],
    },
  },
  { files: testFiles, rules: { '@nx/enforce-module-boundaries': boundaries([...inTests, ...scopes]) } },
  { files: benchFiles, rules: { '@nx/enforce-module-boundaries': boundaries([...inBenches, ...scopes]) } },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
