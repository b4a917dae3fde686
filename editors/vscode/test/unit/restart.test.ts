import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../../src/restart';

test('restarts up to the limit within the window, then gives up', () => {
  let now = 0;
  const p = new RestartPolicy(3, 60_000, () => now);
  const got = [];
  for (let i = 0; i < 5; i++) {
    now += 1000;
    got.push(p.crashed().restart);
  }
  assert.deepEqual(got, [true, true, true, false, false]);
});

test('crashes older than the window are forgotten', () => {
  let now = 0;
  const p = new RestartPolicy(2, 60_000, () => now);
  assert.deepEqual(p.crashed(), { restart: true, attempt: 1 });
  now = 30_000;
  assert.deepEqual(p.crashed(), { restart: true, attempt: 2 });
  now = 61_000; // the first crash left the window
  assert.deepEqual(p.crashed(), { restart: true, attempt: 2 });
  now = 62_000;
  assert.deepEqual(p.crashed(), { restart: false, crashes: 3, windowMs: 60_000 });
});

test('reset gives a fresh budget', () => {
  const p = new RestartPolicy(1, 60_000, () => 5);
  assert.equal(p.crashed().restart, true);
  assert.equal(p.crashed().restart, false);
  p.reset();
  assert.equal(p.crashed().restart, true);
});

test('defaults: 5 restarts in 3 minutes', () => {
  const p = new RestartPolicy();
  assert.equal(p.limit, 5);
  assert.equal(p.windowMs, 180_000);
});
