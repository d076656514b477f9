// The whole planner in a real browser: sign up, tasks, birthdays in the agenda and the calendar, movies, the
// notification log, sessions, staying logged in across a reload, and logging out.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startPlanner, startBrowser, screenshotOnFailure } from './harness.mjs';
import { startFakeTmdb } from './fake-tmdb.mjs';

const PASSWORD = 'correct horse battery staple';
let planner;
let browser;
let tmdb;

before(async () => {
  tmdb = await startFakeTmdb();
  planner = await startPlanner({
    TMDB_BASE_URL: tmdb.base,
    TMDB_API_TOKEN: 'fake-tmdb-token',
    SWEEP_INTERVAL_SECONDS: '1',
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  planner?.stop();
  tmdb?.close();
});

/** A date `days` from today in UTC, as the date inputs take it. */
function isoDate(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The newest verification link written to the outbox (no SMTP is configured). */
function verificationLink() {
  const outbox = join(planner.dir, 'data', 'outbox');
  if (!existsSync(outbox)) return null;
  // A message is written as `.partial` and then renamed, so only finished `.eml` files are read.
  for (const name of readdirSync(outbox).filter((n) => n.endsWith('.eml'))) {
    const text = readFileSync(join(outbox, name), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const match = text.match(/https?:\/\/[^\s"<>]*\/verify-email\?token=[A-Za-z0-9_\-]+/);
    if (match) return match[0];
  }
  return null;
}

async function waitFor(check, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a person uses the whole planner in the browser', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));

  await screenshotOnFailure(page, 'planner-journey', async () => {
    // The app is served with a strict policy, and loads under it.
    const response = await page.goto(`${planner.base}/`);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(csp, /object-src 'none'/);
    assert.match(csp, /base-uri 'none'/);
    assert.match(csp, /img-src 'self' data: https:\/\/image\.tmdb\.org(;|$)/, 'posters from TMDB');
    assert.doesNotMatch(csp, /unsafe-inline/);
    // /index.html named directly is the same page, under the same policy.
    const index = await fetch(`${planner.base}/index.html`);
    assert.equal(index.headers.get('content-security-policy'), csp);

    // Not logged in: the login page. Sign up from there; fields are checked before anything is sent.
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Username', { exact: true }).fill('an');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('[data-field="username"]').getByText('must be 3 to 32 characters').waitFor();
    await page.locator('[data-field="email"]').waitFor();
    await page.getByLabel('Username', { exact: true }).fill('ann');
    await page.getByLabel('Email', { exact: true }).fill('ann@example.com');
    await page.getByLabel('Display name (optional)', { exact: true }).fill('Ann Lee');
    await page.getByLabel('Password (at least 8 characters)', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();

    // The access token is kept in memory only: nothing in storage, and the refresh cookie is out of scripts' reach.
    const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
    assert.deepEqual(stored, [0, 0, '']);

    // Tasks: the API's own per-field message shows next to the field.
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.locator('[data-field="title"]').getByText('is required').waitFor();
    await page.getByLabel('Title', { exact: true }).fill('Buy milk');
    await page.getByLabel('Due date', { exact: true }).fill(isoDate(0));
    await page.getByLabel('Labels (comma separated)', { exact: true }).fill('home, errands');
    await page.getByRole('button', { name: 'Add task' }).click();
    const milk = page.locator('li.task-item', { hasText: 'Buy milk' });
    await milk.waitFor();
    await page.getByLabel('Title', { exact: true }).fill('Water plants');
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.locator('li.task-item', { hasText: 'Water plants' }).waitFor();

    // Complete one: it leaves the open list and is among the done ones.
    await page.getByRole('button', { name: 'Complete Buy milk' }).click();
    await milk.waitFor({ state: 'detached' });
    await page.locator('select[name="status"]').selectOption('done');
    await page.locator('li.task-item.done', { hasText: 'Buy milk' }).waitFor();
    await page.locator('select[name="status"]').selectOption('open');
    await page.locator('li.task-item', { hasText: 'Water plants' }).waitFor();

    // Birthdays: the month and day are checked before sending; a birthday in three days appears everywhere.
    const soon = isoDate(3);
    const [year, month, day] = soon.split('-').map(Number);
    await page.getByRole('link', { name: 'Birthdays' }).click();
    await page.getByRole('heading', { name: 'Birthdays', exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Grace');
    await page.getByLabel('Month', { exact: true }).fill('4');
    await page.getByLabel('Day', { exact: true }).fill('31');
    await page.getByRole('button', { name: 'Add birthday' }).click();
    await page.locator('[data-field="day"]').getByText('April has no day 31').waitFor();
    await page.getByLabel('Month', { exact: true }).fill(String(month));
    await page.getByLabel('Day', { exact: true }).fill(String(day));
    await page.getByLabel('Year (optional)', { exact: true }).fill(String(year - 40));
    await page.getByRole('button', { name: 'Add birthday' }).click();
    const grace = page.locator('li.birthday-item', { hasText: 'Grace' });
    await grace.getByText('turns 40').waitFor();

    // Editing shows a live preview of the greeting, rendered by the API.
    await grace.getByRole('button', { name: 'Edit' }).click();
    await grace.getByLabel(/Greeting subject/).fill('Happy {age}th, {name}!');
    await grace.locator('.preview').getByText('Happy 40th, Grace!').waitFor();
    await grace.getByRole('button', { name: 'Save birthday' }).click();

    // Today lists her with the age she turns, and the calendar shows her on her day.
    await page.getByRole('link', { name: 'Today' }).click();
    await page.locator('.birthday-item', { hasText: 'Grace' }).getByText(/turns 40 \(in 3 days\)/).waitFor();
    let cell = page.locator(`td[data-date="${soon}"]`);
    if (!(await cell.count())) {
      await page.getByRole('button', { name: 'Next month' }).click();
      cell = page.locator(`td[data-date="${soon}"]`);
    }
    await cell.locator('.entry.birthday', { hasText: "Grace's birthday (40)" }).waitFor();
    await page.getByRole('button', { name: 'Previous month' }).click();
    await page.getByRole('button', { name: 'Next month' }).click();

    // Movies: search TMDB (faked), track the theatrical release, see its dates.
    await page.getByRole('link', { name: 'Movies' }).click();
    await page.getByLabel('Title', { exact: true }).fill('Dune');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Track Dune: Part Three' }).click();
    await page.getByLabel('Region (two letters)', { exact: true }).fill('US');
    await page.getByRole('button', { name: 'Start tracking' }).click();
    const tracked = page.locator('li.alert-item', { hasText: 'Dune: Part Three' });
    await tracked.getByText(/theatrical: /).waitFor();
    await tracked.getByText('waiting').waitFor();
    await page.getByRole('link', { name: 'Today' }).click();
    await page.getByText(/Dune: Part Three/).first().waitFor();
    await page.getByText(/theatrical, .* \(in 10 days\)/).waitFor();

    // Verify the address from the link in the (file) outbox, then a due reminder appears in the notification log.
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Send me a verification link' }).click();
    const link = await waitFor(() => verificationLink(), 'the verification email');
    await page.goto(link.replace(/^https?:\/\/[^/]+/, planner.base));
    await page.getByText('Your address is verified').waitFor();
    await page.getByRole('link', { name: 'Go to Today' }).click();
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByLabel('Title', { exact: true }).fill('Call the plumber');
    await page.getByLabel('Due date', { exact: true }).fill(isoDate(0));
    await page.getByLabel('Time', { exact: true }).fill('23:59');
    await page.getByLabel('Remind minutes before', { exact: true }).fill('1439');
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.locator('li.task-item', { hasText: 'Call the plumber' }).waitFor();
    await page.getByRole('link', { name: 'Notifications' }).click();
    await waitFor(async () => {
      await page.reload();
      await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
      return (await page.locator('tr', { hasText: 'Call the plumber' }).locator('.status.sent').count()) > 0;
    }, 'the reminder sent, in the delivery log', 30_000);
    // The log is polled every 5 s; a poll that changes nothing leaves the keyboard focus where it was.
    const resend = page.locator('tr', { hasText: 'Call the plumber' }).getByRole('button', { name: 'Resend' });
    await resend.focus();
    await page.waitForResponse((r) => r.url().includes('/api/v1/notifications?'), { timeout: 10_000 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Resend', 'Resend keeps the focus');
    await page.keyboard.press('Enter');
    await page.getByText('Queued to be sent again.').waitFor();

    // Another session (a second device); end it from the account page.
    const other = await fetch(`${planner.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Other Device/1.0' },
      body: JSON.stringify({ username: 'ann', password: PASSWORD }),
    });
    assert.equal(other.status, 200);
    await page.getByRole('link', { name: 'Account' }).click();
    const sessions = page.locator('li.session-item');
    await waitFor(async () => (await sessions.count()) === 2, 'two sessions');
    await page.locator('li.session-item', { hasText: 'Other Device/1.0' }).getByRole('button', { name: 'End this session' }).click();
    await waitFor(async () => (await sessions.count()) === 1, 'the other session to end');
    await page.locator('li.session-item').getByText('this session').waitFor();

    // A reload keeps the person logged in (the refresh cookie buys a new access token).
    await page.reload();
    await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
    await page.goto(`${planner.base}/tasks`);
    await page.locator('li.task-item', { hasText: 'Water plants' }).waitFor();

    // Log out: back to the login page, and a reload does not log back in.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    await page.getByText('You have logged out.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();

    // Log in again: a wrong password is refused with the API's message, the right one opens Today.
    await page.getByLabel('Username or email', { exact: true }).fill('ann');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.form-error').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();

    const policyViolations = problems.filter((p) => /Content Security Policy|Refused to/.test(p));
    assert.deepEqual(policyViolations, [], 'no CSP violations');
  });
});

test('on a phone-sized screen: the API\'s field errors show by the field, nothing scrolls sideways', async () => {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  await browser.clearCookies();
  await screenshotOnFailure(page, 'phone-login', async () => {
    await page.goto(`${planner.base}/register`);
    await page.getByRole('heading', { name: 'Create an account', exact: true }).waitFor();
    // A taken username: the API's 409 names the field, and the message appears next to it.
    await page.getByLabel('Username', { exact: true }).fill('ann');
    await page.getByLabel('Email', { exact: true }).fill('someone.else@example.com');
    await page.getByLabel('Password (at least 8 characters)', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('[data-field="username"]').waitFor();
    await page.goto(`${planner.base}/login`);
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    // Keyboard only: Tab reaches the username field, with a visible focus ring.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent);
    assert.ok(focused, 'something has the focus');
  });
});

test('client routes load on a fresh visit, and hashed assets are cached for a year', async () => {
  const response = await fetch(`${planner.base}/birthdays`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /text\/html/);
  const html = await response.text();
  const wasm = html.match(/\/frontend-[0-9a-f]+_bg\.wasm/);
  assert.ok(wasm, 'index.html names the hashed wasm');
  const asset = await fetch(`${planner.base}${wasm[0]}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(asset.headers.get('content-type'), 'application/wasm');
  const missing = await fetch(`${planner.base}/api/v1/nothing-here`);
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-type'), /application\/problem\+json/);
});
