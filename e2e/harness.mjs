// Starts `planner serve` on a fresh SQLite database and a free port, and Chromium, for browser tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');

function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

/** Starts the server and waits until /readyz answers; `env` adds or overrides the server's variables. */
export async function startPlanner(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'planner-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const binary = process.env.PLANNER_BIN ?? join(root, 'target', 'debug', 'planner');
  const child = spawn(binary, ['serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PLANNER_ADDR: `127.0.0.1:${port}`,
      PUBLIC_BASE_URL: base,
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_ITERATIONS: '1',
      WEB_DIR: process.env.WEB_DIR ?? join(root, 'frontend', 'dist'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  // Kept in the run's folder as well, for reading after a failure.
  const logFile = createWriteStream(join(dir, 'planner.log'));
  child.stderr.on('data', (chunk) => { logs += chunk; logFile.write(chunk); });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`planner did not start:\n${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, dir, logs: () => logs, stop: () => child.kill('SIGTERM') };
}

/** Debian's Chromium, headless, with the flags this machine needs; `options` go to Playwright (such as `locale`). */
export async function startBrowser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'planner-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
      '--disable-component-update', '--disable-sync'],
    ...options,
  });
}

/** Keeps a screenshot of a failed test under e2e/test-results. */
export async function screenshotOnFailure(page, name, run) {
  try {
    await run();
  } catch (error) {
    const dir = join(import.meta.dirname, 'test-results');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true }).catch(() => {});
    throw error;
  }
}

export async function signUp(base, username) {
  const password = 'correct horse battery staple';
  const register = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  });
  if (register.status !== 201) throw new Error(`register: ${register.status}`);
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return login.json();
}

/** Logs in through the app's login page (ending the browser's earlier session) and waits for Today. */
export async function logIn(page, base, username, password = 'correct horse battery staple') {
  await page.context().clearCookies();
  await page.goto(`${base}/login`);
  await page.getByLabel('Username or email', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();
}

/** Calls the API with a bearer token; resolves to the status and the JSON body (or null). */
export async function api(base, token, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A date `days` from today in UTC (`YYYY-MM-DD`). */
export function isoDate(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
