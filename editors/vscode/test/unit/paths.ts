// Paths shared by the unit tests. The bundled tests run from out/test/,
// which is as deep as test/unit/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const vscodeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoDir = path.resolve(vscodeDir, '../..');

export function readJSON<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export const packageJson = () => readJSON(path.join(vscodeDir, 'package.json'));
