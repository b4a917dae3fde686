// Finding the lambdalens binary: the lambdalens.path setting, else
// "lambdalens" on PATH. Free of the vscode API so that it can be tested.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The command that installs the server, shown when it is missing. */
export const INSTALL_COMMAND = 'go install github.com/lambdalens/lambdalens/cmd/lambdalens@latest';

export type ServerLocation =
  | { found: true; path: string; source: 'setting' | 'PATH' }
  | { found: false; message: string };

/** Options of findServer; every field has a default for real use. */
export interface FindOptions {
  /** The lambdalens.path setting; empty or undefined means "use PATH". */
  setting?: string;
  /** Resolves a relative setting; default: the current directory. */
  baseDir?: string;
  /** Default: process.env.PATH. */
  envPath?: string;
  /** Default: process.platform. */
  platform?: NodeJS.Platform;
  /** Default: a check that the file exists and is executable. */
  isExecutable?: (file: string) => boolean;
  /** Default: os.homedir(). */
  home?: string;
}

function executable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) {
      return false;
    }
    if (process.platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * findServer locates the binary. A setting that points nowhere is an error
 * of its own (PATH is not tried: the user asked for that file), so the
 * message says which file was expected.
 */
export function findServer(opts: FindOptions = {}): ServerLocation {
  const isExec = opts.isExecutable ?? executable;
  const platform = opts.platform ?? process.platform;
  const home = opts.home ?? os.homedir();
  const setting = (opts.setting ?? '').trim();
  if (setting !== '') {
    let file = setting;
    if (file === '~' || file.startsWith('~/')) {
      file = path.join(home, file.slice(1));
    }
    if (!path.isAbsolute(file)) {
      file = path.resolve(opts.baseDir ?? process.cwd(), file);
    }
    if (isExec(file)) {
      return { found: true, path: file, source: 'setting' };
    }
    return {
      found: false,
      message: `lambdalens: the lambdalens.path setting points to ${file}, which is not an executable file. Fix the setting, or clear it and install lambdalens on your PATH with: ${INSTALL_COMMAND}`,
    };
  }
  const names = platform === 'win32' ? ['lambdalens.exe', 'lambdalens'] : ['lambdalens'];
  const sep = platform === 'win32' ? ';' : ':';
  const dirs = (opts.envPath ?? process.env.PATH ?? '').split(sep).filter((d) => d !== '');
  // go install puts binaries in $GOBIN or ~/go/bin, which an editor started
  // from a desktop menu often does not have on its PATH.
  dirs.push(path.join(home, 'go', 'bin'));
  for (const dir of dirs) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (isExec(file)) {
        return { found: true, path: file, source: 'PATH' };
      }
    }
  }
  return {
    found: false,
    message: `lambdalens: the lambdalens language server was not found on your PATH. Install it with: ${INSTALL_COMMAND} (or set lambdalens.path to the binary).`,
  };
}
