// The status bar item's model: the dev server's state, as learned from the
// server (lambdalens.inspect's devState and devUrl), rendered to text,
// tooltip and click action. Free of the vscode API so that it can be tested.

export type DevState =
  /** No server: not installed, or it gave up after crashes. */
  | { kind: 'noServer'; reason: string }
  /** The language server is starting. */
  | { kind: 'connecting' }
  /** The dev server is not running. */
  | { kind: 'stopped' }
  /** A start is in progress (the server says so, or dev.start was just sent). */
  | { kind: 'starting' }
  | { kind: 'running'; url: string };

/** What a click on the item does. */
export type StatusAction =
  | { kind: 'openUrl'; url: string }
  | { kind: 'command'; id: string };

export interface StatusView {
  text: string;
  tooltip: string;
  action: StatusAction;
}

/** renderStatus turns a state into the item's text, tooltip and action. */
export function renderStatus(state: DevState): StatusView {
  switch (state.kind) {
    case 'noServer':
      return {
        text: '$(warning) lambdalens',
        tooltip: state.reason,
        action: { kind: 'command', id: 'lambdalens.showServerLog' },
      };
    case 'connecting':
      return {
        text: '$(sync~spin) lambdalens',
        tooltip: 'Starting the lambdalens language server',
        action: { kind: 'command', id: 'lambdalens.showServerLog' },
      };
    case 'stopped':
      return {
        text: '$(debug-start) lambdalens: dev stopped',
        tooltip: 'The dev server is not running. Click to start it.',
        action: { kind: 'command', id: 'lambdalens.dev.start' },
      };
    case 'starting':
      return {
        text: '$(sync~spin) lambdalens: starting dev server',
        tooltip: 'The dev server is starting.',
        action: { kind: 'command', id: 'lambdalens.showServerLog' },
      };
    case 'running':
      return {
        text: `$(broadcast) ${state.url}`,
        tooltip: `The lambdalens dev server is running at ${state.url}. Click to open it.`,
        action: { kind: 'openUrl', url: state.url },
      };
  }
}

/**
 * stateFromInspect reads lambdalens.inspect's result. A missing or
 * malformed result keeps the previous state, so that one failed request
 * does not flip the item. The server's devState decides: dev.start is
 * answered before the start ends, and only the server knows whether it is
 * still starting or has failed. A server too old to send devState is
 * running when it gives a URL, else stopped.
 */
export function stateFromInspect(previous: DevState, result: unknown): DevState {
  if (typeof result !== 'object' || result === null) {
    return previous;
  }
  const { devUrl: url, devState } = result as { devUrl?: unknown; devState?: unknown };
  const hasUrl = typeof url === 'string' && url !== '';
  switch (devState) {
    case 'starting':
      return { kind: 'starting' };
    case 'stopped':
      return { kind: 'stopped' };
  }
  return hasUrl ? { kind: 'running', url } : { kind: 'stopped' };
}
