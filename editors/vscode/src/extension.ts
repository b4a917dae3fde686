// The lambdalens extension: starts `lambdalens lsp` for the window, keeps a
// status bar item with the dev server's state, offers the build task, and
// restarts the server when it crashes (within limits).

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  type LanguageClient,
  State,
} from 'vscode-languageclient/node';
import { buildLanguageClient } from './client';
import { serverCommands } from './commands.generated';
import { projectReason } from './project';
import { RestartPolicy } from './restart';
import { findServer, INSTALL_COMMAND } from './serverPath';
import { SECTION, serverSettings } from './settings';
import { type DevState, renderStatus, stateFromInspect } from './status';
import { targetUri, uriCommands } from './target';
import { registerTaskProvider } from './taskProvider';

/** How often the status bar asks for the dev state while a start is in progress. */
const START_POLL_MS = 500;

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  controller = new Controller(context);
  await controller.start();
}

export async function deactivate(): Promise<void> {
  await controller?.dispose();
  controller = undefined;
}

class Controller {
  private readonly output = vscode.window.createOutputChannel('lambdalens', { log: true });
  private readonly item = vscode.window.createStatusBarItem('lambdalens.status', vscode.StatusBarAlignment.Left, 50);
  private readonly policy = new RestartPolicy();
  private client: LanguageClient | undefined;
  /** The binary the client runs (or was last looked for). */
  private serverFile: string | undefined;
  /** Commands registered while there is no client, so that they explain why. */
  private fallbacks: vscode.Disposable[] = [];
  private state: DevState = { kind: 'connecting' };
  /** The URIs of the workspace folders that are projects, when last started. */
  private projects: string[] = [];
  private inspectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /**
   * The last start, restart or dispose: each waits for the one before, so
   * that two restarts close together (a settings edit while one runs) never
   * run two clients, one of them unreferenced and holding the commands.
   */
  private op: Promise<void> = Promise.resolve();

  constructor(context: vscode.ExtensionContext) {
    this.item.name = 'lambdalens dev server';
    context.subscriptions.push(
      this.output,
      this.item,
      vscode.commands.registerCommand('lambdalens.restartServer', () => this.restart()),
      vscode.commands.registerCommand('lambdalens.showServerLog', () => this.output.show(true)),
      vscode.commands.registerCommand('lambdalens.status.click', () => this.clickStatus()),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleInspect()),
      registerTaskProvider(() => this.serverPath()),
    );
  }

  start(): Promise<void> {
    return this.serial(() => this.startNow());
  }

  /** serial runs fn after the operations queued before it. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.op.then(fn, fn);
    this.op = run.catch(() => undefined);
    return run;
  }

  private async startNow(): Promise<void> {
    const projects = await this.projectFolders();
    this.projects = projects.map((p) => p.folder.uri.toString());
    const folders = projects.map((p) => `${p.folder.name} (${p.reason})`);
    if (folders.length === 0) {
      this.output.info('lambdalens: no workspace folder is a lambdalens project (no vercel.json, api/, Go server or Python app); the language server is not started');
      this.setState({ kind: 'noServer', reason: 'No lambdalens project in this window' });
      this.registerFallbacks('No folder of this window is a lambdalens project (vercel.json, api/, a Go server or a Python app).');
      return;
    }
    const found = this.findServer();
    this.serverFile = found.found ? found.path : undefined;
    if (!found.found) {
      this.output.error(found.message);
      this.setState({ kind: 'noServer', reason: found.message });
      this.registerFallbacks(found.message);
      void this.showMissing(found.message);
      return;
    }
    this.disposeFallbacks();
    this.output.info(`lambdalens: starting ${found.path} lsp (found via ${found.source}) for ${folders.join(', ')}`);
    this.setState({ kind: 'connecting' });
    const client = buildLanguageClient({
      serverPath: found.path,
      output: this.output,
      policy: this.policy,
      onGaveUp: (message) => {
        this.setState({ kind: 'noServer', reason: message });
        void vscode.window.showErrorMessage(message, 'Show Log', 'Restart').then((pick) => {
          if (pick === 'Show Log') {
            this.output.show(true);
          } else if (pick === 'Restart') {
            void this.restart();
          }
        });
      },
      onCommandRan: (command) => this.commandRan(command),
      onLenses: () => this.scheduleInspect(),
      activeUri: () => this.activeUri(),
      uriCommands: uriCommands(serverCommands),
    });
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        this.scheduleInspect();
      } else if (e.newState === State.Starting) {
        this.setState({ kind: 'connecting' });
      }
    });
    try {
      await client.start();
    } catch (err) {
      const message = `lambdalens: starting the language server (${found.path} lsp) failed: ${errorText(err)}`;
      this.output.error(message);
      this.setState({ kind: 'noServer', reason: message });
      void vscode.window.showErrorMessage(message, 'Show Log').then((pick) => pick && this.output.show(true));
    }
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      this.policy.reset();
      await this.stopClient();
      await this.startNow();
    });
  }

  dispose(): Promise<void> {
    return this.serial(async () => {
      clearTimeout(this.inspectTimer);
      clearTimeout(this.pollTimer);
      this.disposeFallbacks();
      await this.stopClient();
    });
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    try {
      if (client.state !== State.Stopped) {
        await client.stop(10_000);
      }
    } catch (err) {
      this.output.warn(`lambdalens: stopping the language server: ${errorText(err)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private findServer() {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return findServer({
      setting: vscode.workspace.getConfiguration(SECTION).get<string>('path'),
      baseDir: folder,
    });
  }

  private serverPath(): string | undefined {
    const found = this.findServer();
    return found.found ? found.path : undefined;
  }

  /** projectFolders lists the workspace folders that are projects. */
  private async projectFolders(): Promise<Array<{ folder: vscode.WorkspaceFolder; reason: string }>> {
    const out: Array<{ folder: vscode.WorkspaceFolder; reason: string }> = [];
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      if (f.uri.scheme !== 'file') {
        continue;
      }
      const reason = await projectReason((rel) =>
        fs.access(path.join(f.uri.fsPath, rel)).then(
          () => true,
          () => false,
        ),
      );
      if (reason !== undefined) {
        out.push({ folder: f, reason });
      }
    }
    return out;
  }

  private async showMissing(message: string): Promise<void> {
    const copy = 'Copy Install Command';
    const settings = 'Open Settings';
    const pick = await vscode.window.showErrorMessage(message, copy, settings);
    if (pick === copy) {
      await vscode.env.clipboard.writeText(INSTALL_COMMAND);
      void vscode.window.showInformationMessage(`Copied: ${INSTALL_COMMAND}. Run it in a terminal, then run "lambdalens: Restart language server".`);
    } else if (pick === settings) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'lambdalens.path');
    }
  }

  /**
   * registerFallbacks registers the server's command ids while no client
   * does, so that running one explains what is missing instead of
   * "command not found".
   */
  private registerFallbacks(message: string): void {
    this.disposeFallbacks();
    for (const c of Object.values(serverCommands)) {
      this.fallbacks.push(vscode.commands.registerCommand(c.id, () => this.showMissing(message)));
    }
  }

  private disposeFallbacks(): void {
    for (const d of this.fallbacks) {
      d.dispose();
    }
    this.fallbacks = [];
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration(`${SECTION}.path`)) {
      // Only a different binary is worth a restart.
      const found = this.findServer();
      if ((found.found ? found.path : undefined) !== this.serverFile || this.client === undefined) {
        void this.restart();
        return;
      }
    }
    if (e.affectsConfiguration(SECTION) && this.client?.state === State.Running) {
      const settings = serverSettings(vscode.workspace.getConfiguration(SECTION));
      void this.client
        .sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: settings } })
        .catch((err) => this.output.warn(`lambdalens: sending the settings: ${errorText(err)}`));
    }
  }

  /**
   * activeUri is the active editor's file when a workspace folder that is a
   * project holds it (the server refuses files outside the folders, such as
   * one of GOROOT opened by Go to Definition, and would run a dev server
   * for a folder that is no project), else the first project folder.
   */
  private activeUri(): string | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    const active =
      doc?.uri.scheme === 'file' ? { uri: doc.uri.toString(), folder: vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.toString() } : undefined;
    return targetUri(active, this.projects);
  }

  private commandRan(command: string): void {
    // Shown until the server's answer to inspect says otherwise: the
    // server starts in the background after replying.
    if ((command === serverCommands.devStart.id || command === serverCommands.devOpen.id) && this.state.kind !== 'running') {
      this.setState({ kind: 'starting' });
    }
    this.scheduleInspect();
  }

  /** scheduleInspect asks the server for the dev state soon (coalesced). */
  private scheduleInspect(): void {
    clearTimeout(this.inspectTimer);
    this.inspectTimer = setTimeout(() => void this.inspect(), 150);
  }

  private async inspect(): Promise<void> {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) {
      return;
    }
    let result: unknown;
    try {
      const uri = this.activeUri();
      result = await client.sendRequest(ExecuteCommandRequest.type, {
        command: serverCommands.inspect.id,
        arguments: uri === undefined ? [] : [{ uri }],
      });
    } catch (err) {
      this.output.debug(`lambdalens: asking for the dev server state: ${errorText(err)}`);
      return;
    }
    const next = stateFromInspect(this.state, result);
    this.setState(next);
    // While the server says a start is in progress, ask again: it replies
    // to dev.start before its dev server listens.
    clearTimeout(this.pollTimer);
    if (next.kind === 'starting') {
      this.pollTimer = setTimeout(() => void this.inspect(), START_POLL_MS);
    }
  }

  private setState(state: DevState): void {
    this.state = state;
    const view = renderStatus(state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = 'lambdalens.status.click';
    this.item.show();
  }

  private async clickStatus(): Promise<void> {
    const action = renderStatus(this.state).action;
    if (action.kind === 'openUrl') {
      await vscode.env.openExternal(vscode.Uri.parse(action.url));
    } else {
      await vscode.commands.executeCommand(action.id);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
