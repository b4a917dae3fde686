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
  const cases: Array<{ name: string; prev: DevState; result: unknown; pending: boolean; want: DevState }> = [
    { name: 'url', prev: stopped, result: { devUrl: 'http://127.0.0.1:3001' }, pending: false, want: { kind: 'running', url: 'http://127.0.0.1:3001' } },
    { name: 'url while pending', prev: { kind: 'starting' }, result: { devUrl: 'http://x' }, pending: true, want: { kind: 'running', url: 'http://x' } },
    { name: 'no url', prev: { kind: 'running', url: 'http://x' }, result: { root: '/p' }, pending: false, want: stopped },
    { name: 'no url yet', prev: stopped, result: { root: '/p', devUrl: '' }, pending: true, want: { kind: 'starting' } },
    { name: 'bad result keeps state', prev: { kind: 'running', url: 'http://x' }, result: null, pending: false, want: { kind: 'running', url: 'http://x' } },
    { name: 'non-object', prev: stopped, result: 'x', pending: true, want: stopped },
  ];
  for (const c of cases) {
    assert.deepEqual(stateFromInspect(c.prev, c.result, c.pending), c.want, c.name);
  }
});
