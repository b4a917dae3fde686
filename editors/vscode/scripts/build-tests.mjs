// Bundles each unit test (test/unit/*.test.ts) with esbuild into
// out/test/*.test.mjs for `node --test`. Imports of .mjs files (the
// generator) and of packages stay external, so they run from where they
// are; out/test is as deep as test/unit, so relative paths still resolve.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'test/unit');
const entries = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f));
fs.rmSync(path.join(root, 'out/test'), { recursive: true, force: true });
await esbuild.build({
  entryPoints: entries,
  outdir: path.join(root, 'out/test'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  external: ['*.mjs'],
  logLevel: 'warning',
});
