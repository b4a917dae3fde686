import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverCommands } from '../../src/commands.generated';
import { targetUri, uriCommands } from '../../src/target';

test('targetUri: a command without arguments is about a project, never another folder', () => {
  // Multi-root: docs is no project, api and web are.
  const docs = 'file:///w/docs';
  const api = 'file:///w/api';
  const web = 'file:///w/web';
  const projects = [api, web];
  const cases: Array<{ name: string; active: Parameters<typeof targetUri>[0]; projects: string[]; want: string | undefined }> = [
    { name: 'no editor: the first project, not the first folder', active: undefined, projects, want: api },
    { name: 'a file of a project', active: { uri: `${web}/api/x.go`, folder: web }, projects, want: `${web}/api/x.go` },
    { name: 'a file of a folder that is no project', active: { uri: `${docs}/README.md`, folder: docs }, projects, want: api },
    { name: 'a file outside the folders (GOROOT)', active: { uri: 'file:///usr/lib/go/src/net/http/server.go', folder: undefined }, projects, want: api },
    { name: 'no project', active: { uri: `${docs}/README.md`, folder: docs }, projects: [], want: undefined },
  ];
  for (const c of cases) {
    assert.equal(targetUri(c.active, c.projects), c.want, c.name);
  }
});

test('uriCommands: the palette cancels every build, and targets the project otherwise', () => {
  const ids = uriCommands(serverCommands);
  assert.ok(!ids.has(serverCommands.buildCancel.id), 'build.cancel without a uri cancels every project\'s builds; it must not get the active file');
  for (const c of [serverCommands.devStart, serverCommands.devStop, serverCommands.devOpen, serverCommands.build, serverCommands.inspect]) {
    assert.ok(ids.has(c.id), `${c.id} gets the target uri`);
  }
});
