// The settings the extension sends must be the ones the server reads
// (lsp/settings.go), and package.json must declare each of them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { answerConfiguration, type ConfigReader, EXTENSION_SETTING_KEYS, SERVER_SETTING_KEYS, serverSettings } from '../../src/settings';
import { packageJson, repoDir } from './paths';

const settingsGo = () => fs.readFileSync(path.join(repoDir, 'lsp/settings.go'), 'utf8');

/** goSettingsKeys reads the JSON tags of `type Settings struct` in lsp/settings.go. */
function goSettingsKeys(): string[] {
  const m = /type Settings struct \{([\s\S]*?)\n\}/.exec(settingsGo());
  assert.ok(m, 'type Settings struct not found in lsp/settings.go');
  return [...m[1].matchAll(/`json:"([A-Za-z]+)[,"]/g)].map((x) => x[1]).sort();
}

function reader(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(k: string) => values[k] as T | undefined };
}

test('SERVER_SETTING_KEYS are the JSON keys of lsp.Settings', () => {
  assert.deepEqual([...SERVER_SETTING_KEYS].sort(), goSettingsKeys());
});

test('package.json declares every server setting and the extension settings', () => {
  const props = Object.keys(packageJson().contributes.configuration.properties).sort();
  const want = [...SERVER_SETTING_KEYS, ...EXTENSION_SETTING_KEYS].map((k) => `lambdalens.${k}`).sort();
  assert.deepEqual(props, want);
});

test('lambdalens.codelenses declares the lens kinds of lsp/settings.go', () => {
  const kinds = [...settingsGo().matchAll(/^\s*lens[A-Z]\w*\s*=\s*"(\w+)"/gm)].map((x) => x[1]).sort();
  assert.ok(kinds.length >= 3, `lens kinds not found in lsp/settings.go: ${kinds}`);
  const lenses = packageJson().contributes.configuration.properties['lambdalens.codelenses'];
  assert.deepEqual(Object.keys(lenses.properties).sort(), kinds);
  assert.deepEqual(Object.keys(lenses.default).sort(), kinds);
});

test('serverSettings sends the server keys that have a value, and nothing else', () => {
  const cases: Array<{ name: string; in: Record<string, unknown>; want: Record<string, unknown> }> = [
    { name: 'empty', in: {}, want: {} },
    {
      name: 'server keys',
      in: { devListen: '127.0.0.1:4000', codelenses: { dev: false }, typeCheckOnSave: false },
      want: { devListen: '127.0.0.1:4000', codelenses: { dev: false }, typeCheckOnSave: false },
    },
    { name: 'extension keys are left out', in: { path: '/x/lambdalens', trace: { server: 'verbose' } }, want: {} },
    { name: 'empty strings mean default', in: { devListen: '', fileWatcher: '' }, want: {} },
    { name: 'buildArch is the task\'s, not the server\'s', in: { buildArch: 'arm64' }, want: {} },
  ];
  for (const c of cases) {
    assert.deepEqual(serverSettings(reader(c.in)), c.want, c.name);
  }
});

test('answerConfiguration answers lambdalens sections and null for others', () => {
  const read = (section: string) => {
    assert.equal(section, 'lambdalens');
    return reader({ devListen: ':4000', path: '/bin/x' });
  };
  const got = answerConfiguration(
    [{ section: 'lambdalens' }, { section: 'lambdalens.devListen' }, { section: 'lambdalens.path' }, { section: 'editor' }, {}],
    read,
  );
  assert.deepEqual(got, [{ devListen: ':4000' }, ':4000', null, null, { devListen: ':4000' }]);
});
