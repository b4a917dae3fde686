// Settings: which VS Code settings the language server reads, and the object
// it receives as initializationOptions and through workspace/configuration.
//
// Only the keys the server knows are sent (it warns about unknown ones);
// EXTENSION_SETTING_KEYS are the extension's own.

/** The configuration section of every lambdalens setting. */
export const SECTION = 'lambdalens';

/**
 * The settings the server reads (lsp/settings.go, Settings), by their key
 * under "lambdalens". A test compares this list with the Go struct's JSON
 * tags and with package.json.
 */
export const SERVER_SETTING_KEYS = [
  'codelenses',
  'devListen',
  'diagnosticsDelay',
  'typeCheckOnSave',
  'fileWatcher',
] as const;

export type ServerSettingKey = (typeof SERVER_SETTING_KEYS)[number];

/**
 * The settings only the extension reads. buildArch applies to the
 * "lambdalens: build" task; the server's Settings have no architecture
 * yet, so lens builds follow vercel.json.
 */
export const EXTENSION_SETTING_KEYS = ['path', 'trace.server', 'buildArch'] as const;

/** The part of vscode.WorkspaceConfiguration this module needs. */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

/**
 * serverSettings returns the settings to send to the server: every server
 * key that has a value, nothing else. An empty string means "default" for
 * string settings, so it is left out and the server keeps its default.
 */
export function serverSettings(config: ConfigReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    const value = config.get<unknown>(key);
    if (value === undefined || value === null || value === '') {
      continue;
    }
    out[key] = value;
  }
  return out;
}

/**
 * answerConfiguration answers a workspace/configuration request: the
 * "lambdalens" section (or the whole configuration, asked for with no
 * section) gets serverSettings; a single server key gets its value; any
 * other section gets null, as the protocol asks for unknown sections.
 */
export function answerConfiguration(
  items: ReadonlyArray<{ section?: string }>,
  read: (section: string) => ConfigReader,
): unknown[] {
  return items.map((item) => {
    const section = item.section ?? '';
    if (section === '' || section === SECTION) {
      return serverSettings(read(SECTION));
    }
    const prefix = SECTION + '.';
    if (section.startsWith(prefix)) {
      const key = section.slice(prefix.length);
      if ((SERVER_SETTING_KEYS as readonly string[]).includes(key)) {
        return read(SECTION).get<unknown>(key) ?? null;
      }
    }
    return null;
  });
}
