// Real-editor test of the VS Code extension: code-server (VS Code in a
// browser, from npm) with the packaged .vsix installed, driven by headless
// Chromium through playwright-core. It opens a handler, waits for the
// "▶ Run dev server" lens, clicks it, sees the status bar and the lens turn
// into the dev server's URL, checks that the function answers, checks the
// vercel.json schema in the editor, runs the build task, stops the dev
// server, kills the language server to see it restarted, and keeps
// screenshots in test/artifacts/. With UPDATE_SCREENSHOT=1 the
// running-dev-server one also replaces screenshot-lenses.png (the README's),
// taken with the dev server on its usual port 3000.
//
//   node test/e2e/e2e.mjs --vsix dist/lambdalens.vsix --bin <lambdalens> \
//     --code-server <bin> --chromium /usr/bin/chromium
//
// Prints one PASS line per step and exits 1 at the first failure.

import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const vscodeDir = path.resolve(here, '../..');
const repoDir = path.resolve(vscodeDir, '../..');
const artifacts = path.join(vscodeDir, 'test/artifacts');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const vsix = path.resolve(arg('vsix', path.join(vscodeDir, 'dist/lambdalens.vsix')));
const bin = arg('bin');
const codeServer = arg('code-server');
const chromiumPath = arg('chromium', '/usr/bin/chromium');
if (!bin || !codeServer) {
  console.error('usage: e2e.mjs --bin <lambdalens> --code-server <code-server> [--vsix x.vsix] [--chromium path]');
  process.exit(2);
}

const updateScreenshot = process.env.UPDATE_SCREENSHOT === '1';
const t0 = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lambdalens-vscode-e2e-'));
const userData = path.join(tmp, 'user-data');
const extensions = path.join(tmp, 'extensions');
const ws = path.join(tmp, 'go-api');
const csLog = path.join(artifacts, 'code-server.log');

let server; // the code-server child, in its own process group
let context; // the browser
let page;

/** cleanup stops the browser and code-server (with every child of it). */
async function cleanup() {
  await context?.close().catch(() => {});
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {}
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

async function screenshot(name) {
  if (!page) {
    return;
  }
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file }).catch((e) => console.log(`  (screenshot ${name} failed: ${e.message})`));
  return file;
}

async function fail(name, err) {
  console.log(`FAIL: ${name}: ${err?.stack ?? err}`);
  await screenshot(`failure-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  // Keep VS Code's logs (the extension's output channel is among them).
  fs.cpSync(path.join(userData, 'logs'), path.join(artifacts, 'logs'), { recursive: true, force: true });
  console.log(`  code-server log: ${csLog}; screenshots: ${artifacts}`);
  await cleanup();
  process.exit(1);
}

async function step(name, fn) {
  const start = Date.now();
  try {
    await fn();
  } catch (err) {
    await fail(name, err);
  }
  console.log(`PASS: ${name} (${Date.now() - start} ms)`);
}

/** until polls fn (which returns a value or throws) until it returns a truthy value. */
async function until(what, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (let i = 0; Date.now() < deadline && i < 100000; i++) {
    try {
      const v = await fn();
      if (v) {
        return v;
      }
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** quickInput opens the quick input with keys (Control+P, Control+Shift+P). */
async function quickInput(keys) {
  await until(`the quick input (${keys})`, 30000, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press(keys);
    return page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 2000 });
  });
}

/** quickOpen opens a workspace file through Ctrl+P, as a user would. */
async function quickOpen(rel) {
  const name = path.basename(rel);
  // Quick open searches a file index that lags behind the disk, so a row that
  // is not there yet is asked for again with a fresh query.
  const row = await until(`${rel} in quick open`, 45000, async () => {
    await quickInput('Control+P');
    await page.keyboard.type(rel);
    return page.waitForSelector(`.quick-input-list .monaco-list-row:has-text("${name}")`, { state: 'visible', timeout: 5000 });
  });
  await row.click();
  await until(`the ${name} tab`, 30000, () => page.$(`.tabs-container .tab.active:has-text("${name}")`));
}

/** lensTitles returns the code lens texts shown in the editor. */
async function lensTitles() {
  return page.$$eval('.codelens-decoration a, .codelens-decoration span', (els) => els.map((e) => e.textContent.trim()).filter(Boolean));
}

async function statusText() {
  return page.$$eval('.statusbar-item', (els) => els.map((e) => e.textContent.trim()));
}

fs.mkdirSync(artifacts, { recursive: true });
for (const f of fs.readdirSync(artifacts)) {
  if (f.endsWith('.png') || f.endsWith('.log') || f === 'logs') {
    fs.rmSync(path.join(artifacts, f), { recursive: true });
  }
}

let port;
await step('install the .vsix into code-server', async () => {
  fs.cpSync(path.join(repoDir, 'examples/go-api'), ws, { recursive: true });
  // A valid vercel.json from the start, so that the workbench's file index
  // knows it when a later step rewrites and opens it.
  fs.writeFileSync(path.join(ws, 'vercel.json'), '{\n  "functions": {\n    "api/*.go": { "memory": 1024 }\n  }\n}\n');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User/settings.json'),
    JSON.stringify(
      {
        'lambdalens.path': bin,
        // Port 0: any free port, so that tests never collide.
        'lambdalens.devListen': updateScreenshot ? '127.0.0.1:3000' : '127.0.0.1:0',
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
        'git.enabled': false,
        'remote.autoForwardPorts': false,
        'window.zoomLevel': 0,
        'editor.minimap.enabled': false,
        'workbench.colorTheme': 'Default Light Modern',
      },
      null,
      2,
    ),
  );
  const { stdout } = await promisify(execFile)(codeServer, ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix], {
    env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') },
  });
  if (!/was successfully installed/.test(stdout)) {
    throw new Error(`install output: ${stdout}`);
  }
});

await step('start code-server', async () => {
  const log = fs.openSync(csLog, 'w');
  server = spawn(
    codeServer,
    [
      '--bind-addr', '127.0.0.1:0',
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir', userData,
      '--extensions-dir', extensions,
      ws,
    ],
    {
      detached: true, // its own process group, so cleanup reaches every child
      stdio: ['ignore', 'pipe', log],
      env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') },
    },
  );
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    fs.appendFileSync(csLog, d);
  });
  port = await until('code-server to listen', 30000, () => {
    if (server.exitCode !== null) {
      throw new Error(`code-server exited with ${server.exitCode}: ${out}`);
    }
    return out.match(/HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
  });
  await until('/healthz', 15000, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
});

await step('open the workbench in headless Chromium', async () => {
  context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await page.waitForSelector('.statusbar', { timeout: 30000 });
});

await step('open api/hello.go', async () => {
  await quickOpen('api/hello.go');
  await page.waitForSelector('.monaco-editor .view-lines', { timeout: 30000 });
});

await step('the "▶ Run dev server" lens appears', async () => {
  await until('the Run dev server lens', 60000, async () => (await lensTitles()).some((t) => t.includes('Run dev server')));
  const titles = await lensTitles();
  if (!titles.includes('Build for Lambda')) {
    throw new Error(`lenses: ${JSON.stringify(titles)}`);
  }
  await until('the status bar item', 15000, async () => (await statusText()).some((t) => t.includes('dev stopped')));
  await screenshot('1-lenses-stopped');
});

let url;
await step('click "▶ Run dev server": the status bar and the lens show the URL', async () => {
  await page.click('.codelens-decoration a:has-text("Run dev server")');
  const status = await until('the URL in the status bar', 90000, async () => (await statusText()).find((t) => /http:\/\/127\.0\.0\.1:\d+/.test(t)));
  const base = status.match(/http:\/\/127\.0\.0\.1:\d+/)[0];
  url = await until('the URL lens', 30000, async () => (await lensTitles()).find((t) => t.startsWith(`● ${base}/api/hello`)));
  url = url.replace(/^● /, '');
  if (!(await lensTitles()).some((t) => t.includes('Stop dev server'))) {
    throw new Error(`lenses: ${JSON.stringify(await lensTitles())}`);
  }
});

await step('the function answers', async () => {
  const res = await fetch(`${url}?name=vscode`, { signal: AbortSignal.timeout(120000) });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('Hello, vscode!')) {
    throw new Error(`GET ${url}: ${res.status} ${body}`);
  }
  // Hover the status bar item so the screenshot shows its tooltip too.
  await page.hover('.statusbar-item:has-text("http://127.0.0.1")').catch(() => {});
  const shot = await screenshot('2-dev-server-running');
  if (updateScreenshot) {
    fs.copyFileSync(shot, path.join(vscodeDir, 'screenshot-lenses.png'));
  }
});

await step('vercel.json is validated with the shipped schema', async () => {
  fs.writeFileSync(path.join(ws, 'vercel.json'), '{\n  "functions": {\n    "api/*.go": { "memory": 64 }\n  }\n}\n');
  await quickOpen('vercel.json');
  await page.keyboard.press('Control+Shift+M'); // the Problems view
  // VS Code's JSON service reports schema violations as "Value is below the minimum of 128."
  await until('the schema problem', 60000, async () => {
    const text = await page.$$eval('.markers-panel .monaco-tl-row', (rows) => rows.map((r) => r.textContent).join('\n'));
    return /below the minimum of 128/.test(text);
  });
  await screenshot('3-vercel-json-schema');
});

await step('Run Task offers "lambdalens: build", and it builds', async () => {
  fs.rmSync(path.join(ws, '.vercel'), { recursive: true, force: true });
  fs.writeFileSync(path.join(ws, 'vercel.json'), '{\n  "functions": {\n    "api/*.go": { "memory": 512 }\n  }\n}\n');
  await quickInput('Control+Shift+P');
  await page.keyboard.type('Tasks: Run Task');
  await (await until('Tasks: Run Task', 15000, () => page.$('.quick-input-list .monaco-list-row:has-text("Tasks: Run Task")'))).click();
  // The first page lists task sources; lambdalens is one of them.
  await (await until('the lambdalens task source', 30000, () => page.$('.quick-input-list .monaco-list-row:has-text("lambdalens")'))).click();
  await (await until('"lambdalens: build"', 30000, () => page.$('.quick-input-list .monaco-list-row:has-text("build")'))).click();
  await until('.vercel/output/config.json', 120000, () => fs.existsSync(path.join(ws, '.vercel/output/config.json')) && fs.existsSync(path.join(ws, '.vercel/output/functions/api/hello.func/.vc-config.json')));
  const vc = JSON.parse(fs.readFileSync(path.join(ws, '.vercel/output/functions/api/hello.func/.vc-config.json'), 'utf8'));
  if (vc.memory !== 512) {
    throw new Error(`hello.func/.vc-config.json: ${JSON.stringify(vc)}`);
  }
  await screenshot('4-build-task');
});

await step('click "■ Stop dev server": the status bar says stopped', async () => {
  await until('the hello.go tab', 10000, () => page.$('.tabs-container .tab:has-text("hello.go")'));
  await page.click('.tabs-container .tab:has-text("hello.go")');
  await until('the Stop lens', 30000, () => page.$('.codelens-decoration a:has-text("Stop dev server")'));
  await page.click('.codelens-decoration a:has-text("Stop dev server")');
  await until('"dev stopped" in the status bar', 30000, async () => (await statusText()).some((t) => t.includes('dev stopped')));
  await until('the Run dev server lens again', 30000, async () => (await lensTitles()).some((t) => t.includes('Run dev server')));
  const stillUp = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    () => true,
    () => false,
  );
  if (stillUp) {
    throw new Error(`${url} still answers after stop`);
  }
});

/** serverPids lists the `<bin> lsp` processes (this test's, by their binary). */
function serverPids() {
  const pids = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) {
      continue;
    }
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0] === bin && argv[1] === 'lsp') {
        pids.push(Number(d));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

await step('a crashed server is restarted', async () => {
  const [pid, ...more] = serverPids();
  if (pid === undefined || more.length > 0) {
    throw new Error(`want one "${bin} lsp" process, found ${JSON.stringify(serverPids())}`);
  }
  process.kill(pid, 'SIGKILL');
  await until('a new server process', 30000, () => {
    const now = serverPids();
    return now.length === 1 && now[0] !== pid;
  });
  // The new server works: its lens starts a dev server again.
  await (await until('the Run dev server lens', 30000, () => page.$('.codelens-decoration a:has-text("Run dev server")'))).click();
  await until('the URL in the status bar', 90000, async () => (await statusText()).some((t) => /http:\/\/127\.0\.0\.1:\d+/.test(t)));
});

await cleanup();
console.log(`PASS: VS Code (code-server) end-to-end in ${Date.now() - t0} ms; screenshots in ${path.relative(process.cwd(), artifacts)}`);
