// buildLanguageClient: the one place that decides how the lambdalens
// language server is started, what it is told, and what happens when it
// dies.

import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { RestartPolicy } from './restart';
import { answerConfiguration, SECTION, serverSettings } from './settings';

/** What buildLanguageClient needs from the extension. */
export interface ClientHooks {
  /** The server binary. */
  serverPath: string;
  /** Receives the server's stderr (its log) and the client's own log. */
  output: vscode.LogOutputChannel;
  /** Decides about restarts after crashes. */
  policy: RestartPolicy;
  /** Called when the policy gave up: the client stays stopped. */
  onGaveUp: (message: string) => void;
  /** Called after a server command ran from the UI (lens, palette). */
  onCommandRan: (command: string) => void;
  /** Called after the editor received code lenses. */
  onLenses: () => void;
  /** The file or folder URI a command without arguments is about. */
  activeUri: () => string | undefined;
  /** The server's commands that take {uri} as their argument. */
  uriCommands: ReadonlySet<string>;
}

/**
 * The documents the server follows: handlers, servers and apps (by
 * extension, so that no Go or Python extension is needed for the language
 * ids) and the project's configuration files.
 */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', pattern: '**/*.go' },
  { scheme: 'file', pattern: '**/*.py' },
  { scheme: 'file', pattern: '**/vercel.json' },
  { scheme: 'file', pattern: '**/go.mod' },
  { scheme: 'file', pattern: '**/{pyproject.toml,requirements.txt,Pipfile}' },
];

/**
 * buildLanguageClient creates (does not start) the window's single client.
 * One client serves every workspace folder: the server handles folders
 * itself, and a second client would register the same command ids again,
 * which vscode-languageclient refuses.
 */
export function buildLanguageClient(hooks: ClientHooks): LanguageClient {
  // No transport: TransportKind.stdio would append --stdio, which
  // `lambdalens lsp` rejects; stdio is what an executable gets anyway.
  const serverOptions: ServerOptions = {
    command: hooks.serverPath,
    args: ['lsp'],
  };
  const config = () => vscode.workspace.getConfiguration(SECTION);
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: hooks.output,
    traceOutputChannel: hooks.output,
    revealOutputChannelOn: 4, // RevealOutputChannelOn.Never: errors come as notifications
    initializationOptions: serverSettings(config()),
    errorHandler: {
      error: (_error, _message, count) =>
        // A broken message is logged; a stream of them means the
        // connection is gone, which closed() then handles.
        ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
      closed: () => {
        const d = hooks.policy.crashed();
        if (d.restart) {
          hooks.output.warn(`lambdalens: the language server stopped unexpectedly; restarting it (attempt ${d.attempt} of ${hooks.policy.limit})`);
          return { action: CloseAction.Restart, handled: true };
        }
        const minutes = Math.round(d.windowMs / 60000);
        const message = `lambdalens: the language server stopped ${d.crashes} times in ${minutes} minutes and was not restarted. Its log is in the "lambdalens" output; run "lambdalens: Restart language server" to try again.`;
        hooks.onGaveUp(message);
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
    middleware: {
      workspace: {
        // Answer with the server's keys only; the server warns about
        // unknown ones (lambdalens.path is ours, not its).
        configuration: (params) => answerConfiguration(params.items, (s) => vscode.workspace.getConfiguration(s)),
        // extension.ts pushes the filtered settings itself when a
        // lambdalens setting changes; other changes are not sent.
        didChangeConfiguration: async () => {},
      },
      executeCommand: async (command, args, next) => {
        if (args.length === 0 && hooks.uriCommands.has(command)) {
          const uri = hooks.activeUri();
          if (uri !== undefined) {
            args = [{ uri }];
          }
        }
        // Only a command that ran changes the dev state (a failed
        // dev.start must not show "starting").
        const result = await next(command, args);
        hooks.onCommandRan(command);
        return result;
      },
      provideCodeLenses: async (document, token, next) => {
        const lenses = await next(document, token);
        hooks.onLenses();
        return lenses;
      },
    },
  };
  return new LanguageClient('lambdalens', 'lambdalens', serverOptions, clientOptions);
}
