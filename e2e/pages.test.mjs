// Each page in depth, as a person checks it: tasks (edit, cancel, delete, filters, sorting), movies (posters, a
// failed search, the region check, stop tracking), the account (profile, time zone, region and mail settings,
// password, calendar feed, other sessions, export, deletion), and how the app looks: a 360 px phone, the dark
// theme, visible keyboard focus, the browser's locale.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startPlanner, startBrowser, screenshotOnFailure, signUp, logIn, api, isoDate } from './harness.mjs';
import { startFakeTmdb } from './fake-tmdb.mjs';

const PASSWORD = 'correct horse battery staple';
// A 1×1 PNG, answered for every poster so no test needs the internet.
const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
let planner;
let browser;
let tmdb;

before(async () => {
  tmdb = await startFakeTmdb();
  planner = await startPlanner({
    TMDB_BASE_URL: tmdb.base,
    TMDB_API_TOKEN: 'fake-tmdb-token',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  planner?.stop();
  tmdb?.close();
});

/** The titles of the listed tasks, top to bottom. */
async function taskTitles(page) {
  return page.locator('ul.tasks li.task-item .title').allTextContents();
}

/** Waits until the task list shows exactly `titles`, in that order. */
async function expectTasks(page, titles) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const shown = await taskTitles(page);
    if (JSON.stringify(shown) === JSON.stringify(titles)) return;
    if (Date.now() > deadline) assert.deepEqual(shown, titles);
    await page.waitForTimeout(100);
  }
}

test('tasks: filters, sorting, editing with cancel, deleting', async () => {
  const { access_token: token } = await signUp(planner.base, 'tess');
  for (const task of [
    { title: 'Pay rent', due_date: isoDate(-1), priority: 'high', labels: ['home'] },
    { title: 'Write report', due_date: isoDate(1), due_time: '21:30', priority: 'urgent', labels: ['work'],
      description: 'the quarterly numbers' },
    { title: 'Buy bread', priority: 'low', labels: ['home'] },
  ]) {
    assert.equal((await api(planner.base, token, 'POST', '/api/v1/tasks', task)).status, 201);
  }
  const page = await browser.newPage();
  await screenshotOnFailure(page, 'pages-tasks', async () => {
    await logIn(page, planner.base, 'tess');
    await page.getByRole('link', { name: 'Tasks' }).click();
    // By due date (the default), tasks without one last; the time in the browser's locale (en-US here).
    await expectTasks(page, ['Pay rent', 'Write report', 'Buy bread']);
    await page.locator('li.task-item', { hasText: 'Write report' }).getByText(/9:30\s?PM/).waitFor();

    const filters = page.getByRole('form', { name: 'Filter tasks' });
    await filters.getByLabel('Overdue only').check();
    await expectTasks(page, ['Pay rent']);
    await filters.getByLabel('Overdue only').uncheck();
    await expectTasks(page, ['Pay rent', 'Write report', 'Buy bread']);

    await filters.locator('input[name="label"]').fill('work');
    await filters.locator('input[name="label"]').press('Enter');
    await expectTasks(page, ['Write report']);
    await filters.locator('input[name="label"]').fill('');
    await filters.locator('input[name="label"]').press('Enter');

    await filters.locator('select[name="priority"]').selectOption('low');
    await expectTasks(page, ['Buy bread']);
    await filters.locator('select[name="priority"]').selectOption('');

    await filters.locator('input[name="q"]').fill('QUARTERLY');
    await filters.locator('input[name="q"]').press('Enter');
    await expectTasks(page, ['Write report']);
    await filters.locator('input[name="q"]').fill('');
    await filters.locator('input[name="q"]').press('Enter');

    await filters.locator('select[name="sort"]').selectOption('-priority');
    await expectTasks(page, ['Write report', 'Pay rent', 'Buy bread']);

    // Edit, then think better of it: Cancel closes the form and changes nothing.
    const bread = page.locator('li.task-item', { hasText: 'Buy bread' });
    await bread.getByRole('button', { name: 'Edit' }).click();
    await bread.getByLabel('Title', { exact: true }).fill('Buy rye bread');
    await bread.getByRole('button', { name: 'Cancel' }).click();
    await bread.locator('form').waitFor({ state: 'detached' });
    await expectTasks(page, ['Write report', 'Pay rent', 'Buy bread']);
    // Edit for real: title and priority.
    await bread.getByRole('button', { name: 'Edit' }).click();
    await bread.getByLabel('Title', { exact: true }).fill('Buy rye bread');
    await bread.locator('select[name="priority"]').selectOption('normal');
    await bread.getByRole('button', { name: 'Save task' }).click();
    await expectTasks(page, ['Write report', 'Pay rent', 'Buy rye bread']);
    await page.locator('li.task-item', { hasText: 'Buy rye bread' }).locator('.priority', { hasText: 'normal' }).waitFor();

    await page.getByRole('button', { name: 'Delete Pay rent' }).click();
    await expectTasks(page, ['Write report', 'Buy rye bread']);
    await page.reload();
    await expectTasks(page, ['Write report', 'Buy rye bread']);
  });
  await page.close();
});

test('movies: posters from TMDB, a failed search tried again, the region checked here and by the API, tracking stopped', async () => {
  await signUp(planner.base, 'milo');
  const page = await browser.newPage();
  const posters = [];
  await page.route('https://image.tmdb.org/**', (route) => {
    posters.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'image/png', body: PIXEL });
  });
  await screenshotOnFailure(page, 'pages-movies', async () => {
    await logIn(page, planner.base, 'milo');
    await page.getByRole('link', { name: 'Movies' }).click();

    // TMDB failing: the error says so and Try again repeats the search.
    await page.route('**/api/v1/movies/search**', (route) => route.fulfill({
      status: 503, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'TMDB is not answering' }),
    }));
    await page.getByLabel('Title', { exact: true }).fill('Dune');
    await page.getByRole('button', { name: 'Search' }).click();
    const failed = page.getByRole('alert').filter({ hasText: 'TMDB is not answering' });
    await failed.waitFor();
    await page.unroute('**/api/v1/movies/search**');
    await failed.getByRole('button', { name: 'Try again' }).click();

    // The poster is an <img> from TMDB's image host, and it loads under the page's policy.
    const poster = page.locator('li.result img.poster');
    await poster.waitFor();
    assert.match(await poster.getAttribute('src'), /^https:\/\/image\.tmdb\.org\/t\/p\/\w+\/dune3\.jpg$/);
    await page.waitForFunction(() => {
      const img = document.querySelector('li.result img.poster');
      return img && img.complete && img.naturalWidth > 0;
    });

    // The region is checked before sending.
    await page.getByRole('button', { name: 'Track Dune: Part Three' }).click();
    await page.getByLabel('Region (two letters)', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Start tracking' }).click();
    await page.locator('[data-field="region"]').getByText('must be two letters').waitFor();
    // Two letters that are no country: the API's own message, next to the field.
    await page.getByLabel('Region (two letters)', { exact: true }).fill('zz');
    await page.getByRole('button', { name: 'Start tracking' }).click();
    await page.locator('[data-field="region"]').getByText('is not an ISO 3166-1 alpha-2 country code').waitFor();
    await page.getByLabel('Region (two letters)', { exact: true }).fill('us');
    await page.getByRole('button', { name: 'Start tracking' }).click();
    const tracked = page.locator('li.alert-item', { hasText: 'Dune: Part Three' });
    await tracked.getByText(/theatrical: /).waitFor();
    assert.match(await tracked.locator('img.poster').getAttribute('src'), /^https:\/\/image\.tmdb\.org\//);
    assert.ok(posters.length > 0, 'the posters were requested from image.tmdb.org');

    await tracked.getByRole('button', { name: 'Stop tracking Dune: Part Three' }).click();
    await page.getByText('You are not tracking any movie.').waitFor();
    await page.reload();
    await page.getByText('You are not tracking any movie.').waitFor();
  });
  await page.close();
});

test('account: calendar feed, other sessions, export, password change, deletion', async () => {
  const { access_token: token } = await signUp(planner.base, 'ada');
  assert.equal((await api(planner.base, token, 'POST', '/api/v1/tasks', { title: 'Export me' })).status, 201);
  await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: planner.base });
  const page = await browser.newPage();
  await screenshotOnFailure(page, 'pages-account', async () => {
    await logIn(page, planner.base, 'ada');
    await page.getByRole('link', { name: 'Account' }).click();

    // The calendar feed: Copy puts the address on the clipboard; Replace gives a new address.
    const feed = page.getByLabel('Calendar feed address');
    await page.waitForFunction(() => document.querySelector('.feed-url')?.value.includes('.ics'));
    const address = await feed.inputValue();
    assert.match(address, /\/api\/v1\/calendar\/[^/]+\.ics$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), address);
    // Without clipboard access the address is selected and the person is told to press Ctrl+C.
    await page.evaluate(() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); });
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('alert').filter({ hasText: 'press Ctrl+C' }).waitFor();
    const selected = await page.evaluate(() => {
      const input = document.activeElement;
      return input?.classList.contains('feed-url') && input.selectionEnd - input.selectionStart === input.value.length;
    });
    assert.ok(selected, 'the address is focused and selected');
    await page.getByRole('button', { name: 'Replace address' }).click();
    await page.waitForFunction((old) => {
      const value = document.querySelector('.feed-url')?.value;
      return value && value !== old && value.endsWith('.ics');
    }, address);
    assert.equal((await fetch(address.replace(/^https?:\/\/[^/]+/, planner.base))).status, 404, 'the old address is dead');

    // Log out everywhere else: another device's session ends, this one stays.
    const other = await (await fetch(`${planner.base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Tablet/2.0' },
      body: JSON.stringify({ username: 'ada', password: PASSWORD }),
    })).json();
    await page.reload();
    const sessions = page.locator('li.session-item');
    await sessions.filter({ hasText: 'Tablet/2.0' }).waitFor();
    await page.getByRole('button', { name: 'Log out everywhere else' }).click();
    await page.getByText('Every other session has ended.').waitFor();
    await sessions.filter({ hasText: 'Tablet/2.0' }).waitFor({ state: 'detached' });
    assert.equal(await sessions.count(), 1);
    const refreshed = await fetch(`${planner.base}/api/v1/auth/refresh`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: other.refresh_token }),
    });
    assert.equal(refreshed.status, 401, 'the other session is over');

    // Export: a JSON file with the account's task in it.
    await page.getByRole('button', { name: 'Prepare an export' }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download planner-export.json' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'planner-export.json');
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.match(JSON.stringify(exported), /"Export me"/);

    // A new password: the old one no longer logs in, the new one does.
    const NEW_PASSWORD = 'a brand new passphrase';
    await page.getByLabel('Current password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    await page.getByLabel('Username or email', { exact: true }).fill('ada');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.form-error').waitFor();
    await logIn(page, planner.base, 'ada', NEW_PASSWORD);

    // Deleting the account needs the password and the tick; afterwards nobody can log in as ada.
    await page.getByRole('link', { name: 'Account' }).click();
    await page.locator('input[name="delete_password"]').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.locator('[data-field="confirm"]').getByText('tick this to confirm').waitFor();
    await page.getByLabel('I understand that this cannot be undone').check();
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
    await page.getByText('Your account and everything in it have been deleted.').waitFor();
    const login = await fetch(`${planner.base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: NEW_PASSWORD }),
    });
    assert.equal(login.status, 401);
  });
  await page.close();
});

test('account: profile, a searchable time zone list, region and what to email', async () => {
  const { access_token: token } = await signUp(planner.base, 'kim');
  const page = await browser.newPage();
  await screenshotOnFailure(page, 'pages-profile', async () => {
    await logIn(page, planner.base, 'kim');
    await page.getByRole('link', { name: 'Account' }).click();
    const zone = page.getByLabel('Time zone (type to search)', { exact: true });
    await zone.waitFor();
    // The list the browser offers while typing holds every IANA zone.
    const zones = await page.locator('#all-zones option').evaluateAll((options) => options.map((o) => o.value));
    assert.ok(zones.length > 300, `${zones.length} zones`);
    for (const name of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/New_York', 'Europe/Berlin']) {
      assert.ok(zones.includes(name), name);
    }
    assert.equal(await zone.getAttribute('list'), 'all-zones');

    // A zone the API does not know: its message shows by the field, and nothing is saved.
    await zone.fill('Mars/Olympus_Mons');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('[data-field="timezone"]').getByText('is not an IANA time zone').waitFor();
    assert.equal((await api(planner.base, token, 'GET', '/api/v1/me')).body.timezone, 'UTC');

    await page.getByLabel('Display name', { exact: true }).fill('Kim Park');
    await zone.fill('Pacific/Kiritimati');
    await page.getByLabel('Region (for release dates)', { exact: true }).fill('nz');
    await page.getByLabel('Task reminders').uncheck();
    await page.getByLabel('Daily digest at (empty: no digest)').fill('07:30');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    const me = (await api(planner.base, token, 'GET', '/api/v1/me')).body;
    assert.deepEqual(
      [me.display_name, me.timezone, me.region, me.notifications.task_reminders, me.notifications.digest_time],
      ['Kim Park', 'Pacific/Kiritimati', 'NZ', false, '07:30'],
    );
    // After a reload the form shows what was saved.
    await page.reload();
    await zone.waitFor();
    assert.equal(await zone.inputValue(), 'Pacific/Kiritimati');
    assert.equal(await page.getByLabel('Display name', { exact: true }).inputValue(), 'Kim Park');
    assert.equal(await page.getByLabel('Task reminders').isChecked(), false);
  });
  await page.close();
});

test('a phone, the dark theme, the keyboard and the locale', async () => {
  await signUp(planner.base, 'pia');
  const page = await browser.newPage();
  await screenshotOnFailure(page, 'pages-look', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await logIn(page, planner.base, 'pia');
    // Nothing scrolls sideways on a 360 px screen.
    for (const [link, heading] of [['Today', 'Today'], ['Tasks', 'Tasks'], ['Notifications', 'Notifications'],
      ['Account', 'Account']]) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => {});
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${heading} is ${overflow}px wider than the screen`);
    }

    // The dark theme follows the system setting.
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await background();
    assert.notEqual(dark, light, 'the body background changes in the dark theme');

    // Keyboard only: Tab reaches a button, and its focus ring is visible.
    await page.getByRole('heading', { name: 'Account', exact: true }).click();
    let focused = null;
    for (let i = 0; i < 40 && !focused; i += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => {
        const element = document.activeElement;
        if (element?.tagName !== 'BUTTON') return null;
        const style = getComputedStyle(element);
        return { text: element.textContent, outline: style.outlineStyle, width: style.outlineWidth };
      });
    }
    assert.ok(focused, 'Tab reached a button');
    assert.notEqual(focused.outline, 'none', `the focused button "${focused.text}" shows its focus`);
    assert.notEqual(focused.width, '0px');

    // Changing the month shows that the calendar is loading.
    await page.getByRole('link', { name: 'Today', exact: true }).click();
    await page.locator('table.month').waitFor();
    await page.route('**/api/v1/agenda**', async (route) => {
      await new Promise((r) => setTimeout(r, 700));
      await route.continue();
    });
    await page.getByRole('button', { name: 'Next month' }).click();
    await page.locator('.calendar').getByText('Loading…').waitFor();
    await page.locator('table.month').waitFor();
    await page.unroute('**/api/v1/agenda**');
  });
  await page.close();

  // In a German browser the calendar speaks German: weekday and month names come from Intl, not from the app.
  const german = await startBrowser({ locale: 'de-DE' });
  const dePage = await german.newPage();
  try {
    await screenshotOnFailure(dePage, 'pages-locale', async () => {
      await logIn(dePage, planner.base, 'pia');
      await dePage.locator('table.month thead th').first().waitFor();
      const headings = await dePage.locator('table.month thead th').allTextContents();
      assert.deepEqual(headings.map((h) => h.replace(/\.$/, '')), ['Mo', 'Di', 'Mi', 'Do', 'Fr', 'Sa', 'So']);
      const month = await dePage.locator('#calendar-heading').textContent();
      assert.match(month, /^(Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}$/);
    });
  } finally {
    await german.close();
  }
});

/** Answers every `method` request to `pattern` with a 503 problem document. */
async function failing(page, pattern, method) {
  await page.route(pattern, (route) => (route.request().method() === method
    ? route.fulfill({
      status: 503, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'try again later' }),
    })
    : route.continue()));
}

test('the greeting preview waits for typing to pause; failed actions (and a failed log-out) say so', async () => {
  const { access_token: token } = await signUp(planner.base, 'bea');
  assert.equal((await api(planner.base, token, 'POST', '/api/v1/birthdays', { name: 'Grace', month: 3, day: 14 })).status, 201);
  assert.equal((await api(planner.base, token, 'POST', '/api/v1/movie-alerts',
    { tmdb_id: 693134, release_types: ['theatrical'], region: 'US' })).status, 201);
  await fetch(`${planner.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Phone/1.0' },
    body: JSON.stringify({ username: 'bea', password: PASSWORD }),
  });
  const page = await browser.newPage();
  await screenshotOnFailure(page, 'pages-failures', async () => {
    await logIn(page, planner.base, 'bea');
    await page.getByRole('link', { name: 'Birthdays' }).click();
    // A new birthday has no preview yet, and says how to get one.
    await page.getByText('Save to preview').first().waitFor();

    // Typing in the saved birthday's template asks the server once typing pauses, not at every keystroke.
    const grace = page.locator('li.birthday-item', { hasText: 'Grace' });
    await grace.getByRole('button', { name: 'Edit' }).click();
    await grace.locator('.preview pre').waitFor();
    let previews = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/preview')) previews += 1;
    });
    await grace.getByLabel(/Greeting subject/).pressSequentially('Happy day, {name}!', { delay: 40 });
    await grace.locator('.preview').getByText('Happy day, Grace!').waitFor();
    assert.ok(previews >= 1 && previews <= 3, `${previews} previews for 18 keystrokes`);

    // Failures are shown where they happened, and nothing disappears.
    await failing(page, '**/api/v1/birthdays/*', 'DELETE');
    await page.getByRole('button', { name: 'Delete Grace' }).click();
    await grace.getByRole('alert').filter({ hasText: 'Could not delete Grace: try again later' }).waitFor();

    await failing(page, '**/api/v1/movie-alerts/*', 'DELETE');
    await page.getByRole('link', { name: 'Movies' }).click();
    const dune = page.locator('li.alert-item', { hasText: 'Dune: Part Three' });
    await dune.getByRole('button', { name: /^Stop tracking/ }).click();
    await dune.getByRole('alert').filter({ hasText: 'Could not stop tracking: try again later' }).waitFor();

    await failing(page, '**/api/v1/auth/sessions**', 'DELETE');
    await page.getByRole('link', { name: 'Account' }).click();
    const phone = page.locator('li.session-item', { hasText: 'Phone/1.0' });
    await phone.waitFor();
    const listed = await page.locator('li.session-item').count();
    await phone.getByRole('button', { name: 'End this session' }).click();
    await phone.getByRole('alert').filter({ hasText: 'The session was not ended: try again later' }).waitFor();
    await page.getByRole('button', { name: 'Log out everywhere else' }).click();
    await page.getByRole('alert').filter({ hasText: 'The other sessions were not ended: try again later' }).waitFor();
    assert.equal(await page.locator('li.session-item').count(), listed, 'every session still listed');

    // Logging out while the server fails keeps the session (its cookie would log back in) and says so.
    await failing(page, '**/api/v1/auth/logout', 'POST');
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'You are still logged in: try again later' }).waitFor();
    await page.unroute('**/api/v1/auth/logout');
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByText('You have logged out.').waitFor();
  });
  await page.close();
});
