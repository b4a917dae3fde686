import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { activationEvents, projectReason } from '../../src/project';
import { packageJson, repoDir } from './paths';

const existsIn = (dir: string) => async (rel: string) => fs.existsSync(path.join(dir, rel));
const existsSet = (files: string[]) => async (rel: string) => files.includes(rel);

test('projectReason on the examples', async () => {
  const cases: Array<[string, string]> = [
    ['go-api', 'api/'],
    ['go-server', 'go.mod + main.go'],
    ['mixed', 'vercel.json'],
    ['python-basic', 'api/'],
    ['python-fastapi', 'requirements.txt + main.py'],
    ['python-flask', 'vercel.json'],
  ];
  for (const [example, want] of cases) {
    assert.equal(await projectReason(existsIn(path.join(repoDir, 'examples', example))), want, example);
  }
});

test('projectReason needs both parts of a server or app project', async () => {
  const cases: Array<[string[], string | undefined]> = [
    [[], undefined],
    [['main.go'], undefined],
    [['go.mod'], undefined],
    [['go.mod', 'cmd/server/main.go'], 'go.mod + cmd/server/main.go'],
    [['app.py'], undefined],
    [['pyproject.toml', 'src/asgi.py'], 'pyproject.toml + src/asgi.py'],
    [['Pipfile', 'wsgi.py'], 'Pipfile + wsgi.py'],
    [['README.md', 'package.json'], undefined],
  ];
  for (const [files, want] of cases) {
    assert.equal(await projectReason(existsSet(files)), want, files.join(','));
  }
});

test('package.json activationEvents are the project markers', () => {
  assert.deepEqual(packageJson().activationEvents, activationEvents());
});
