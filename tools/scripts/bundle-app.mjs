#!/usr/bin/env node
// Bundles an app into dist/<app>/main.js for `node` (and the Docker images). Workspace libs (@shardex/*) are
// TypeScript sources and get bundled in; third-party packages stay external and load from node_modules.
import { build } from 'esbuild';
import path from 'node:path';

const [projectRoot] = process.argv.slice(2);
if (!projectRoot) {
  console.error('usage: bundle-app.mjs <projectRoot>');
  process.exit(2);
}
const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@shardex/') ? undefined : { path: args.path, external: true },
    );
  },
};
await build({
  entryPoints: [path.join(projectRoot, 'src/main.ts')],
  outfile: path.join('dist', projectRoot, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  plugins: [externalThirdParty],
  logLevel: 'warning',
});
