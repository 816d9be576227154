import { execFileSync } from 'node:child_process';
import path from 'node:path';

// The depConstraints in eslint.config.mjs are only worth something if lint really fails on a forbidden import.
// Each case lints a virtual file placed inside a real project, through the real config and project graph.
const root = path.resolve(__dirname, '../../..');

const cases = {
  // A lib the app does not depend on (even through its tests), or lint reports the cycle instead of the rule.
  libImportsApp: [
    'libs/write-buffer/src/bad.ts',
    "import { buildApp } from '@shardex/gateway';\nexport const x = buildApp;\n",
  ],
  appImportsApp: ['apps/gateway/src/bad.ts', "import { run } from '@shardex/orchestrator';\nexport const x = run;\n"],
  appUsesTestingInProduction: [
    'apps/matching-engine/src/bad.ts',
    "import { getTestInfra } from '@shardex/testing';\nexport const x = getTestInfra;\n",
  ],
  appUsesTestingInTest: [
    'apps/matching-engine/src/fine.int-spec.ts',
    "import { getTestInfra } from '@shardex/testing';\nexport const x = getTestInfra;\n",
  ],
  deepImport: [
    'apps/gateway/src/bad.spec.ts',
    "import { runId } from '@shardex/testing/src/names';\nexport const x = runId;\n",
  ],
  relativeIntoProject: [
    'apps/gateway/src/bad2.spec.ts',
    "import { runId } from '../../../libs/testing/src/names';\nexport const x = runId;\n",
  ],
} as const;

type Name = keyof typeof cases;
let errors: Record<Name, string[]>;

beforeAll(() => {
  const names = Object.keys(cases) as Name[];
  const stdout = execFileSync(process.execPath, [path.join(__dirname, 'lint-virtual-files.mjs')], {
    cwd: root,
    input: JSON.stringify(names.map((n) => ({ filePath: path.join(root, cases[n][0]), code: cases[n][1] }))),
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  const messages = JSON.parse(stdout) as Array<Array<{ ruleId: string | null; message: string }>>;
  errors = Object.fromEntries(
    names.map((n, i) => [
      n,
      (messages[i] ?? [])
        .filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports')
        .map((m) => m.message),
    ]),
  ) as Record<Name, string[]>;
}, 60_000);

describe('module boundaries (lint)', () => {
  it('fails when a lib imports an app', () => {
    expect(errors.libImportsApp).toEqual(['Imports of apps are forbidden']);
  });

  it('fails when an app imports another app', () => {
    expect(errors.appImportsApp).toEqual(['Imports of apps are forbidden']);
  });

  it('keeps test helpers out of production code but allows them in tests', () => {
    expect(errors.appUsesTestingInProduction).toEqual([
      expect.stringContaining('can only depend on libs tagged with "type:infra", "type:domain", "type:contracts"'),
    ]);
    expect(errors.appUsesTestingInTest).toEqual([]);
  });

  it('forbids reaching into another project past its public entry', () => {
    expect(errors.deepImport).toEqual([expect.stringContaining('Import a project through its public entry point.')]);
    expect(errors.relativeIntoProject).toEqual(
      expect.arrayContaining([expect.stringContaining('Import another project by its package name.')]),
    );
  });
});
