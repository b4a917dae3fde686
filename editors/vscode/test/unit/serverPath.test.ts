import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findServer, INSTALL_COMMAND } from '../../src/serverPath';

/** A temp dir with an executable bin/lambdalens and a non-executable file. */
function fixture() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambdalens-path-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'home/go/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bin/lambdalens'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'home/go/bin/lambdalens'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'notexec'), 'x', { mode: 0o644 });
  return dir;
}

test('findServer', (t) => {
  const dir = fixture();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const empty = path.join(dir, 'empty-home');
  const cases = [
    { name: 'on PATH', opts: { envPath: `/nonexistent:${dir}/bin`, home: empty }, want: { found: true, path: `${dir}/bin/lambdalens`, source: 'PATH' } },
    { name: '~/go/bin when PATH lacks it', opts: { envPath: '/nonexistent', home: `${dir}/home` }, want: { found: true, path: `${dir}/home/go/bin/lambdalens`, source: 'PATH' } },
    { name: 'absolute setting', opts: { setting: `${dir}/bin/lambdalens`, envPath: '' , home: empty }, want: { found: true, path: `${dir}/bin/lambdalens`, source: 'setting' } },
    { name: 'relative setting', opts: { setting: 'bin/lambdalens', baseDir: dir, envPath: '', home: empty }, want: { found: true, path: `${dir}/bin/lambdalens`, source: 'setting' } },
    { name: 'tilde setting', opts: { setting: '~/go/bin/lambdalens', envPath: '', home: `${dir}/home` }, want: { found: true, path: `${dir}/home/go/bin/lambdalens`, source: 'setting' } },
  ];
  for (const c of cases) {
    assert.deepEqual(findServer(c.opts), c.want, c.name);
  }
});

test('findServer explains what is missing and how to install it', (t) => {
  const dir = fixture();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = findServer({ envPath: '/nonexistent', home: path.join(dir, 'nohome') });
  assert.equal(missing.found, false);
  assert.match(!missing.found ? missing.message : '', /not found on your PATH/);
  assert.ok(!missing.found && missing.message.includes(INSTALL_COMMAND));

  // A setting that points at a non-executable file does not fall back to PATH.
  const bad = findServer({ setting: `${dir}/notexec`, envPath: `${dir}/bin`, home: dir });
  assert.equal(bad.found, false);
  assert.ok(!bad.found && bad.message.includes(`${dir}/notexec`) && bad.message.includes(INSTALL_COMMAND));
});

test('INSTALL_COMMAND is the README one', () => {
  assert.equal(INSTALL_COMMAND, 'go install github.com/lambdalens/lambdalens/cmd/lambdalens@latest');
});
