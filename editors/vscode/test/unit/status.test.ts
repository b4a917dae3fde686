import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DevState, renderStatus, stateFromInspect } from '../../src/status';

test('renderStatus', () => {
  const running = renderStatus({ kind: 'running', url: 'http://127.0.0.1:3000' });
  assert.equal(running.text, '$(broadcast) http://127.0.0.1:3000');
  assert.deepEqual(running.action, { kind: 'openUrl', url: 'http://127.0.0.1:3000' });
  assert.deepEqual(renderStatus({ kind: 'stopped' }).action, { kind: 'command', id: 'lambdalens.dev.start' });
  assert.match(renderStatus({ kind: 'stopped' }).text, /dev stopped/);
  assert.match(renderStatus({ kind: 'starting' }).text, /starting/);
  assert.equal(renderStatus({ kind: 'noServer', reason: 'not installed' }).tooltip, 'not installed');
});

test('stateFromInspect', () => {
  const stopped: DevState = { kind: 'stopped' };
  const starting: DevState = { kind: 'starting' };
  const running: DevState = { kind: 'running', url: 'http://x' };
  const cases: Array<{ name: string; prev: DevState; result: unknown; want: DevState }> = [
    { name: 'running', prev: stopped, result: { devState: 'running', devUrl: 'http://127.0.0.1:3001' }, want: { kind: 'running', url: 'http://127.0.0.1:3001' } },
    { name: 'starting', prev: stopped, result: { root: '/p', devState: 'starting' }, want: starting },
    { name: 'started', prev: starting, result: { devState: 'running', devUrl: 'http://x' }, want: running },
    // dev.start was sent and its start failed: no "starting" for a minute.
    { name: 'failed start', prev: starting, result: { root: '/p', devState: 'stopped' }, want: stopped },
    { name: 'stopped', prev: running, result: { root: '/p', devState: 'stopped' }, want: stopped },
    // A server without devState: the URL decides.
    { name: 'old server, url', prev: stopped, result: { devUrl: 'http://x' }, want: running },
    { name: 'old server, no url', prev: starting, result: { root: '/p', devUrl: '' }, want: stopped },
    { name: 'bad result keeps state', prev: running, result: null, want: running },
    { name: 'non-object', prev: starting, result: 'x', want: starting },
  ];
  for (const c of cases) {
    assert.deepEqual(stateFromInspect(c.prev, c.result), c.want, c.name);
  }
});
