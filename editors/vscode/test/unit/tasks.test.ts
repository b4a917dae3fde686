import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildArgs, PROBLEM_PATTERN, TASK_TYPE } from '../../src/tasks';
import { packageJson } from './paths';

test('buildArgs', () => {
  const cases: Array<[object, string[]]> = [
    [{}, ['build', '/p']],
    [{ arch: '' }, ['build', '/p']],
    [{ arch: 'arm64' }, ['build', '/p', '--arch', 'arm64']],
    [{ arch: 'x86_64', only: 'api/*', zip: true }, ['build', '/p', '--arch', 'x86_64', '--only', 'api/*', '--zip']],
  ];
  for (const [def, want] of cases) {
    assert.deepEqual(buildArgs('/p', def), want, JSON.stringify(def));
  }
  assert.throws(() => buildArgs('/p', { arch: 'amd64' }), /x86_64 or arm64/);
});

test('the problem matcher reads lambdalens diagnostics', () => {
  const pm = packageJson().contributes.problemMatchers.find((m: { name: string }) => m.name === 'lambdalens');
  assert.equal(pm.pattern.regexp, PROBLEM_PATTERN);
  const m = new RegExp(PROBLEM_PATTERN).exec('api/users/[id].go:12:3: error: undefined: x');
  assert.ok(m);
  assert.deepEqual(m.slice(1), ['api/users/[id].go', '12', '3', 'error', 'undefined: x']);
  assert.equal(new RegExp(PROBLEM_PATTERN).exec('building api/hello.go'), null);
});

test('package.json defines the task type', () => {
  const defs = packageJson().contributes.taskDefinitions;
  assert.equal(defs.length, 1);
  assert.equal(defs[0].type, TASK_TYPE);
  assert.deepEqual(defs[0].properties.task.enum, ['build']);
});
