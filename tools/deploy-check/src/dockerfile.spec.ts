import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { composeRuns, k8sRender, k8sRuns } from './deployments';
import { copies, lastOf, parseDockerfile, readDockerfile, type Stage } from './dockerfile';
import { APPS, rootPath } from './paths';

const dockerfile = readDockerfile();
const stages = dockerfile.stages;
const runtime = stages.at(-1) as Stage;
const stage = (name: string) => stages.find((s) => s.name === name);
const render = k8sRender();
/** Every app run by compose and (when kubectl is there) Kubernetes. */
const runs = [...composeRuns(), ...('objects' in render ? k8sRuns(render.objects) : [])];

interface ProjectJson {
  targets: { build?: { options?: { command?: string }; outputs?: string[] } };
}

/** What each app's `build` target writes, from its project.json: bundle-app.mjs <root> → dist/<root>/main.js. */
function buildOutputs(): Map<string, { main: string; outputs: string[] }> {
  const out = new Map<string, { main: string; outputs: string[] }>();
  for (const dir of readdirSync(rootPath('apps'))) {
    const project = JSON.parse(readFileSync(rootPath(`apps/${dir}/project.json`), 'utf8')) as ProjectJson & {
      name: string;
    };
    const command = project.targets.build?.options?.command ?? '';
    const m = /^node tools\/scripts\/bundle-app\.mjs (\S+)$/.exec(command);
    if (!m?.[1]) continue;
    out.set(project.name, {
      main: path.posix.join('dist', m[1], 'main.js'),
      outputs: (project.targets.build?.outputs ?? []).map((o) => o.replace('{workspaceRoot}/', '')),
    });
  }
  return out;
}

describe('docker/Dockerfile', () => {
  it('is read the way Docker reads it (continuations, comments, stages)', () => {
    const parsed = parseDockerfile(
      'ARG V=1\n# c\nFROM a:${V} AS one\nRUN x \\\n  && y\nFROM one\nCOPY --from=one /a /b\n',
    );
    expect(parsed.globalArgs).toEqual({ V: '1' });
    expect(parsed.stages.map((s) => [s.name, s.from])).toEqual([
      ['one', 'a:${V}'],
      ['1', 'one'],
    ]);
    expect(parsed.stages[0]?.instructions[0]?.args).toBe('x && y');
  });

  it('builds on the Node.js the project pins (.node-version)', () => {
    expect(dockerfile.globalArgs['NODE_VERSION']).toBe(readFileSync(rootPath('.node-version'), 'utf8').trim());
    for (const s of stages) expect(s.from).toMatch(/^node:\$\{NODE_VERSION\}-/);
  });

  it('copies only from stages defined before the copy', () => {
    stages.forEach((s, i) => {
      for (const c of copies(s))
        if (c.from !== undefined)
          expect({ line: c.line, from: c.from, earlier: stages.slice(0, i).some((x) => x.name === c.from) }).toEqual({
            line: c.line,
            from: c.from,
            earlier: true,
          });
    });
  });

  it('ends in a runtime stage that runs as a non-root user, by number', () => {
    const user = lastOf(runtime, 'USER') ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it('builds every app that compose and Kubernetes run, and the runtime stage has each one’s bundle', () => {
    const outputs = buildOutputs();
    expect([...outputs.keys()].sort()).toEqual([...APPS].sort());
    const build = stage('build');
    const buildDir = lastOf(build as Stage, 'WORKDIR') as string;
    const nx = build?.instructions.find((i) => i.keyword === 'RUN' && /nx run-many -t build/.test(i.args));
    const built =
      /-p ([\w -]+?)(?:$|&&|;)/
        .exec(nx?.args ?? '')?.[1]
        ?.trim()
        .split(/\s+/) ?? [];
    const runDir = lastOf(runtime, 'WORKDIR') as string;
    const fromBuild = copies(runtime).filter((c) => c.from === 'build');
    const ran = new Set(runs.map((r) => r.app));
    expect(ran.size).toBe(APPS.length);
    for (const app of ran) {
      expect(built).toContain(app);
      const { main, outputs: declared } = outputs.get(app) ?? { main: '', outputs: [] };
      // The bundle lies inside what the build target declares it writes (so nx caches and restores it).
      expect(declared.some((o) => main.startsWith(`${o}/`))).toBe(true);
      // The command's dist/apps/<app>/main.js, relative to the runtime WORKDIR, is a file some COPY brings from
      // the build stage's WORKDIR, where the build wrote it.
      const inRuntime = path.posix.join(runDir, main);
      const copy = fromBuild.find((c) => inRuntime.startsWith(`${path.posix.resolve(runDir, c.dest)}/`));
      expect({ app, copied: copy !== undefined }).toEqual({ app, copied: true });
      const rel = path.posix.relative(path.posix.resolve(runDir, copy?.dest ?? ''), inRuntime);
      expect(path.posix.join(path.posix.resolve(buildDir, copy?.sources[0] ?? ''), rel)).toBe(
        path.posix.join(buildDir, main),
      );
    }
  });

  it('takes node_modules from a production-only install, which holds every package the bundles leave external', () => {
    const copy = copies(runtime).find((c) => c.dest.replace(/\/$/, '').endsWith('node_modules'));
    const deps = stage(copy?.from ?? '');
    const install = deps?.instructions.find((i) => i.keyword === 'RUN' && /npm (install|ci)/.test(i.args));
    expect(install?.args).toMatch(/--omit=dev/);
    expect(copies(deps as Stage).flatMap((c) => c.sources)).toEqual(['package.json', 'package-lock.json']);
    // bundle-app.mjs bundles @shardex/* and leaves every other bare import to node_modules: each one that production
    // code of the apps and libs imports must be a dependency of the root package.json, not a dev dependency.
    const pkg = JSON.parse(readFileSync(rootPath('package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const missing = new Set<string>();
    for (const file of productionSources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /^(?!import type)(?:import|export)[^'";]*?from\s+'([^'.][^']*)'|require\('([^'.][^']*)'\)/gm,
      )) {
        const spec = m[1] ?? m[2] ?? '';
        if (spec.startsWith('node:') || spec.startsWith('@shardex/')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (!(name in pkg.dependencies)) missing.add(`${name} (${path.relative(rootPath('.'), file)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('leaves the host’s node_modules, builds and local secrets out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(rootPath('.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '**/.env']));
  });
});

/** The .ts files of the apps and the libs they bundle, tests and test helpers aside. */
function productionSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'testing' && entry.name !== 'node_modules') walk(p);
      } else if (/\.ts$/.test(entry.name) && !/\.(int-)?spec\.ts$|\.bench\.ts$|\.d\.ts$/.test(entry.name))
        files.push(p);
    }
  };
  // The apps the image runs as Node.js bundles; the console is bundled whole by Vite for browsers and the system
  // tests are no bundle, so neither leaves anything to node_modules at run time.
  const bundled = new Set([...buildOutputs().values()].map((o) => o.main.split('/')[2]));
  for (const project of readdirSync(rootPath('apps'))) if (bundled.has(project)) walk(rootPath(`apps/${project}/src`));
  for (const project of readdirSync(rootPath('libs'))) if (project !== 'testing') walk(rootPath(`libs/${project}/src`));
  return files;
}
