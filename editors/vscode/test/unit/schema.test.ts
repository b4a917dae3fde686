// The vercel.json schema shipped with the extension: it must know the keys
// the project model knows (project/config), accept every example's
// vercel.json, and reject the mistakes it claims to catch, as VS Code's own
// JSON language service (the one jsonValidation feeds) reports them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import jsonls from 'vscode-json-languageservice';
import { packageJson, readJSON, repoDir, vscodeDir } from './paths';

// A CommonJS package: its named exports are only reachable through the default one.
const { getLanguageService, TextDocument } = jsonls;

const schemaPath = path.join(vscodeDir, 'schemas/vercel.schema.json');
const schema = readJSON(schemaPath);

async function validate(text: string) {
  const ls = getLanguageService({});
  ls.configure({ validate: true, allowComments: false, schemas: [{ uri: 'file:///vercel.schema.json', fileMatch: ['vercel.json'], schema }] });
  const doc = TextDocument.create('file:///project/vercel.json', 'json', 1, text);
  const diags = await ls.doValidation(doc, ls.parseJSONDocument(doc), { schemaValidation: 'error' });
  return diags.map((d) => ({ line: d.range.start.line, text: doc.getText(d.range), message: typeof d.message === 'string' ? d.message : d.message.value }));
}

function goStrings(file: string, start: RegExp, item: RegExp): string[] {
  const src = fs.readFileSync(path.join(repoDir, file), 'utf8');
  const m = start.exec(src);
  assert.ok(m, `${start} not found in ${file}`);
  const block = src.slice(m.index, src.indexOf('\n}', m.index));
  return [...block.matchAll(item)].map((x) => x[1]).sort();
}

test('package.json points jsonValidation at the shipped schema', () => {
  const v = packageJson().contributes.jsonValidation;
  assert.deepEqual(v, [{ fileMatch: 'vercel.json', url: './schemas/vercel.schema.json' }]);
  assert.ok(fs.existsSync(path.join(vscodeDir, v[0].url)));
});

test('the schema has the top-level keys of project/config', () => {
  const goKeys = goStrings('project/config/parse.go', /var topLevel = map/, /^\s*"(\$?\w+)":/gm);
  assert.ok(goKeys.includes('functions') && goKeys.length > 20, `parsed ${goKeys}`);
  assert.deepEqual(Object.keys(schema.properties).sort(), goKeys);
});

test('the schema has the function properties of project/config', () => {
  const goProps = goStrings('project/config/validate_functions.go', /var functionProps = /, /"(\w+)"/g);
  assert.deepEqual(Object.keys(schema.definitions.function.properties).sort(), goProps);
});

test('every example vercel.json is valid', async () => {
  const examples = fs.readdirSync(path.join(repoDir, 'examples')).filter((e) => fs.existsSync(path.join(repoDir, 'examples', e, 'vercel.json')));
  assert.ok(examples.length >= 2, `examples with vercel.json: ${examples}`);
  for (const e of examples) {
    const file = path.join(repoDir, 'examples', e, 'vercel.json');
    const diags = await validate(fs.readFileSync(file, 'utf8'));
    // examples/broken is broken on purpose; it must at least parse.
    if (e !== 'broken') {
      assert.deepEqual(diags, [], e);
    }
  }
});

test('valid documents', async () => {
  const docs = [
    '{}',
    '{"functions": {"api/*.go": {"memory": 128, "maxDuration": 900, "architecture": "arm64"}}}',
    '{"functions": {"api/**/*.py": {"maxDuration": "max", "includeFiles": "data/**", "excludeFiles": ["*.md"], "regions": ["iad1"]}}}',
    '{"rewrites": [{"source": "/blog/:slug", "destination": "/api/blog?slug=:slug", "has": [{"type": "host", "value": "x.com"}]}]}',
    '{"redirects": [{"source": "/old", "destination": "/new", "statusCode": 301}], "cleanUrls": true, "trailingSlash": false}',
    '{"headers": [{"source": "/(.*)", "headers": [{"key": "X-A", "value": "1"}]}], "env": {"A": "b"}, "framework": null, "outputDirectory": "static"}',
    '{"builds": [{"src": "api/*.go", "use": "@vercel/go"}], "routes": [{"handle": "filesystem"}, {"src": "/(.*)", "dest": "/api/$1"}]}',
  ];
  for (const d of docs) {
    assert.deepEqual(await validate(d), [], d);
  }
});

test('invalid documents are reported at the offending value', async () => {
  const cases: Array<{ doc: string; at: string; message: RegExp }> = [
    { doc: '{"functions": {"api/*.go": {"memory": 64}}}', at: '64', message: /minimum|128/ },
    { doc: '{"functions": {"api/*.go": {"memory": 10241}}}', at: '10241', message: /maximum|10240/ },
    { doc: '{"functions": {"api/*.go": {"maxDuration": 901}}}', at: '901', message: /.+/ },
    { doc: '{"functions": {"api/*.go": {"maxDuration": "forever"}}}', at: '"forever"', message: /.+/ },
    { doc: '{"functions": {"api/*.go": {"architecture": "amd64"}}}', at: '"amd64"', message: /x86_64/ },
    { doc: '{"functions": {"api/*.go": {"memroy": 512}}}', at: '"memroy"', message: /not allowed/ },
    { doc: '{"functoins": {}}', at: '"functoins"', message: /not allowed/ },
    { doc: '{"cleanUrls": "yes"}', at: '"yes"', message: /boolean/ },
    { doc: '{"redirects": [{"source": "/a", "destination": "/b", "statusCode": 200}]}', at: '200', message: /.+/ },
    { doc: '{"rewrites": [{"source": "no-slash", "destination": "/b"}]}', at: '"no-slash"', message: /pattern|match/i },
    { doc: '{"rewrites": [{"source": "/a", "destination": "/b", "has": [{"type": "header"}]}]}', at: '{', message: /key/ },
  ];
  for (const c of cases) {
    const diags = await validate(c.doc);
    assert.ok(diags.some((d) => d.text === c.at && c.message.test(d.message)), `${c.doc}: want a diagnostic on ${c.at} matching ${c.message}, got ${JSON.stringify(diags)}`);
  }
});
