// The task provider behind "lambdalens: build" in Run Task.

import * as vscode from 'vscode';
import { buildArgs, type LambdalensTaskDefinition, TASK_TYPE } from './tasks';
import { SECTION } from './settings';

/**
 * registerTaskProvider offers one "build" task per workspace folder.
 * serverPath returns the lambdalens binary, or undefined when it is
 * missing (then no task is offered, and a task from tasks.json fails with
 * a message saying so).
 */
export function registerTaskProvider(serverPath: () => string | undefined): vscode.Disposable {
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    provideTasks: () => {
      if (serverPath() === undefined) {
        return [];
      }
      return (vscode.workspace.workspaceFolders ?? []).map((folder) =>
        makeTask(folder, { type: TASK_TYPE, task: 'build' }, serverPath),
      );
    },
    resolveTask: (task) => {
      const def = task.definition as Partial<LambdalensTaskDefinition>;
      if (def.task !== 'build' || task.scope === undefined || typeof task.scope === 'number') {
        return undefined;
      }
      return makeTask(task.scope, def as LambdalensTaskDefinition, serverPath);
    },
  });
}

function makeTask(
  folder: vscode.WorkspaceFolder,
  def: LambdalensTaskDefinition,
  serverPath: () => string | undefined,
): vscode.Task {
  const bin = serverPath() ?? 'lambdalens';
  const arch = def.arch ?? vscode.workspace.getConfiguration(SECTION, folder.uri).get<string>('buildArch');
  const exec = new vscode.ProcessExecution(bin, buildArgs(folder.uri.fsPath, { ...def, arch }), {
    cwd: folder.uri.fsPath,
  });
  const task = new vscode.Task(def, folder, 'build', 'lambdalens', exec, ['$lambdalens']);
  task.group = vscode.TaskGroup.Build;
  task.detail = `lambdalens build${arch ? ' --arch ' + arch : ''}: write .vercel/output`;
  return task;
}
