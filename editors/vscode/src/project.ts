// Which workspace folders are lambdalens projects. The activation events in
// package.json are a coarse filter (VS Code cannot say "main.go and go.mod");
// projectReason is the precise check, mirroring the markers of the project
// model (project/discover.go).

/** Go standalone server entrypoints (project/discover.go goServerCandidates). */
export const GO_SERVER_FILES = ['main.go', 'cmd/api/main.go', 'cmd/server/main.go'];

/** Python app entrypoints (project/discover.go pythonAppCandidates). */
export const PYTHON_APP_FILES: string[] = ['', 'src/', 'app/'].flatMap((dir) =>
  ['app', 'index', 'server', 'main', 'wsgi', 'asgi'].map((name) => `${dir}${name}.py`),
);

/** Python manifests (project/discover.go pythonManifests). */
export const PYTHON_MANIFESTS = ['pyproject.toml', 'requirements.txt', 'Pipfile'];

/**
 * projectReason says why a folder is a lambdalens project, or returns
 * undefined when it is not one. exists answers for a slash path relative
 * to the folder (file or directory).
 */
export async function projectReason(
  exists: (rel: string) => Promise<boolean>,
): Promise<string | undefined> {
  if (await exists('vercel.json')) {
    return 'vercel.json';
  }
  if (await exists('api')) {
    return 'api/';
  }
  if (await exists('go.mod')) {
    for (const f of GO_SERVER_FILES) {
      if (await exists(f)) {
        return `go.mod + ${f}`;
      }
    }
  }
  for (const m of PYTHON_MANIFESTS) {
    if (await exists(m)) {
      for (const f of PYTHON_APP_FILES) {
        if (await exists(f)) {
          return `${m} + ${f}`;
        }
      }
    }
  }
  return undefined;
}

/**
 * activationEvents lists the workspaceContains events that cover every
 * project projectReason accepts; package.json must contain exactly these
 * (a unit test checks it).
 */
export function activationEvents(): string[] {
  const globs = [
    'vercel.json',
    'api/**/*.go',
    'api/**/*.py',
    ...GO_SERVER_FILES,
    ...PYTHON_APP_FILES,
  ];
  return globs.map((g) => `workspaceContains:${g}`);
}
