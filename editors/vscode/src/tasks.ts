// The "lambdalens: build" task: its definition (package.json
// taskDefinitions) and the command line it runs. Free of the vscode API.

/** The task type, as in package.json contributes.taskDefinitions. */
export const TASK_TYPE = 'lambdalens';

/** A lambdalens task definition as written in tasks.json. */
export interface LambdalensTaskDefinition {
  type: typeof TASK_TYPE;
  /** Only "build" for now. */
  task: 'build';
  /** x86_64 or arm64; empty or absent: vercel.json decides. */
  arch?: string;
  /** Builds only the functions whose ID or file matches this glob. */
  only?: string;
  /** Also writes a zip of each function. */
  zip?: boolean;
}

/**
 * buildArgs returns the arguments of `lambdalens` for a build task of the
 * project in dir. An arch other than x86_64/arm64 is an error the user
 * must see, not a flag the CLI rejects later.
 */
export function buildArgs(dir: string, def: Partial<LambdalensTaskDefinition>): string[] {
  const args = ['build', dir];
  if (def.arch) {
    if (def.arch !== 'x86_64' && def.arch !== 'arm64') {
      throw new Error(`lambdalens task: arch must be x86_64 or arm64, not ${JSON.stringify(def.arch)}`);
    }
    args.push('--arch', def.arch);
  }
  if (def.only) {
    args.push('--only', def.only);
  }
  if (def.zip) {
    args.push('--zip');
  }
  return args;
}

/**
 * PROBLEM_PATTERN matches the diagnostics `lambdalens build` prints
 * ("api/hello.go:12:3: error: undefined: x"); package.json's problem
 * matcher uses the same expression (a test checks it).
 */
export const PROBLEM_PATTERN = '^(.+?):(\\d+):(\\d+): (error|warning|info|hint): (.*)$';
