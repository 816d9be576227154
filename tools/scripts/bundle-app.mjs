#!/usr/bin/env node
// Bundles a TypeScript entry for `node`: apps into dist/<app>/main.js (what the Docker images run), benchmarks
// into dist/bench so they measure the code as production runs it. Workspace libs (@shardex/*) are TypeScript
// sources and get bundled in; third-party packages stay external and load from node_modules.
//   bundle-app.mjs <projectRoot>                 → <projectRoot>/src/main.ts to dist/<projectRoot>/main.js
//   bundle-app.mjs <entry.ts> <outfile.js>
import { build } from 'esbuild';
import path from 'node:path';

const [first, second] = process.argv.slice(2);
if (!first) {
  console.error('usage: bundle-app.mjs <projectRoot> | <entry.ts> <outfile.js>');
  process.exit(2);
}
const entry = second ? first : path.join(first, 'src/main.ts');
const outfile = second ?? path.join('dist', first, 'main.js');
const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@shardex/') ? undefined : { path: args.path, external: true },
    );
  },
};
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  plugins: [externalThirdParty],
  logLevel: 'warning',
});
