// Bundles viewer/src (three.js included, minified, ESM) into facemotion/viewer/static/viewer.js and copies three.js's
// MIT licence beside it. Usage: npm ci --prefix viewer && npm run --prefix viewer build [-- OUTDIR]
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, '..', 'facemotion', 'viewer', 'static'));
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'index.js')],
  outfile: join(outdir, 'viewer.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(join(here, 'node_modules', 'three', 'LICENSE'), join(outdir, 'three.LICENSE'));
console.log(`${join(outdir, 'viewer.js')}: ${statSync(join(outdir, 'viewer.js')).size} bytes`);
