// Which project a server command run without arguments (from the command
// palette, a keybinding or the status bar) is about. Free of the vscode API
// so that it can be tested.

import { type ServerCommand, serverCommands } from './commands.generated';

/** The active editor's file and the workspace folder that holds it. */
export interface ActiveFile {
  /** The file's URI. */
  uri: string;
  /** The URI of the workspace folder that holds it; undefined when none does. */
  folder: string | undefined;
}

/**
 * targetUri is the active file when its workspace folder is a project, else
 * the first project folder (projects lists the project folders' URIs, in
 * workspace order). A folder that is no project is never the target: the
 * server would run a dev server for it.
 */
export function targetUri(active: ActiveFile | undefined, projects: readonly string[]): string | undefined {
  if (active?.folder !== undefined && projects.includes(active.folder)) {
    return active.uri;
  }
  return projects[0];
}

/**
 * uriCommands lists the commands that get the target's {uri} when they are
 * run without arguments: those taking a uri, except lambdalens.build.cancel,
 * whose empty uri cancels the builds of every project (a user cancelling
 * from the palette means every build, not only the active file's
 * project's).
 */
export function uriCommands(commands: Record<string, ServerCommand>): Set<string> {
  return new Set(
    Object.values(commands)
      .filter((c) => c.arguments.includes('uri') && c.id !== serverCommands.buildCancel.id)
      .map((c) => c.id),
  );
}
