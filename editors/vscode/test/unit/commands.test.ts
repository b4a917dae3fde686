// The commands contributed in package.json must be the server's (from
// lsp/commands.json, generated from the Go interface) plus the extension's
// own; the generated TypeScript and Lua lists must be fresh.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
// @ts-ignore: a plain ES module without types
import { extensionCommands, key, lua, render, stale } from '../../scripts/generate.mjs';
import { serverCommands } from '../../src/commands.generated';
import { packageJson, readJSON, repoDir } from './paths';

const commandsJson = () => readJSON<Array<{ id: string; title: string }>>(path.join(repoDir, 'lsp/commands.json'));

test('generated files are fresh (run `npm run generate` after changing lsp/command)', () => {
  assert.deepEqual(stale(), []);
});

test('package.json contributes exactly the server commands, then the extension commands', () => {
  const got = packageJson().contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]);
  const want = [
    ...commandsJson().map((c) => [c.id, c.title]),
    ...extensionCommands.map((c: { command: string; title: string }) => [c.command, c.title]),
  ];
  assert.deepEqual(got, want);
});

test('serverCommands has every command of lsp/commands.json', () => {
  const ids = Object.values(serverCommands).map((c) => c.id);
  assert.deepEqual(ids, commandsJson().map((c) => c.id));
  // The ones the extension relies on by name.
  for (const id of ['lambdalens.dev.start', 'lambdalens.dev.stop', 'lambdalens.dev.open', 'lambdalens.build', 'lambdalens.inspect']) {
    assert.ok((ids as string[]).includes(id), `${id} missing`);
  }
});

test('render fails on a malformed command list', () => {
  const pkg = JSON.stringify({ contributes: {} });
  assert.throws(() => render([], pkg), /non-empty array/);
  assert.throws(() => render([{ id: 'other.x', title: 'X' }], pkg), /bad command/);
  assert.throws(() => render([{ id: 'lambdalens.x', title: '' }], pkg), /bad command/);
});

test('render keeps the rest of package.json', () => {
  const files = render([{ id: 'lambdalens.dev.start', title: 'Run dev server' }], JSON.stringify({ name: 'x', contributes: { jsonValidation: [1] } }));
  const pkg = JSON.parse(Object.values(files)[0] as string);
  assert.equal(pkg.name, 'x');
  assert.deepEqual(pkg.contributes.jsonValidation, [1]);
  assert.equal(pkg.contributes.commands[0].command, 'lambdalens.dev.start');
});

test('key and lua quoting', () => {
  const cases: Array<[string, string]> = [
    ['lambdalens.dev.start', 'devStart'],
    ['lambdalens.build', 'build'],
    ['lambdalens.build.cancel', 'buildCancel'],
  ];
  for (const [id, want] of cases) {
    assert.equal(key(id), want);
  }
  assert.equal(lua('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
});
