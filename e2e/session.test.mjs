// The session over time, against a server whose access tokens expire at once (ACCESS_TOKEN_TTL_SECONDS=1, plus the
// API's 30 s of leeway): an action after expiry still works (one refresh; a refresh that cannot reach the server is
// an error, not a log-out), a session revoked from another device ends on the login page with a message, and a
// refresh on load that gets no answer is an error to retry, not a log-out.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startPlanner, startBrowser, screenshotOnFailure, signUp, logIn, api } from './harness.mjs';

// The token lifetime plus the API's leeway, and a little more.
const EXPIRY_MS = (1 + 30 + 2) * 1000;
let planner;
let browsers = [];

before(async () => {
  planner = await startPlanner({ ACCESS_TOKEN_TTL_SECONDS: '1', AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  browsers = [await startBrowser(), await startBrowser()];
});

after(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  planner?.stop();
});

test('expired access tokens are refreshed once; a revoked session ends on the login page', async () => {
  // Another device, whose session is used to end the second browser's.
  const other = await signUp(planner.base, 'kim');
  const [first, second] = await Promise.all(browsers.map((b) => b.newPage()));
  await screenshotOnFailure(first, 'session-first', async () => {
    await logIn(first, planner.base, 'kim');
    await logIn(second, planner.base, 'kim');

    // A refresh on load that fails (here a 503) is an error with Try again, not the login page.
    await first.route('**/api/v1/auth/refresh', (route) => route.fulfill({
      status: 503, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database is down' }),
    }));
    await first.reload();
    const failure = first.getByRole('alert').filter({ hasText: 'the database is down' });
    await failure.waitFor();
    assert.equal(await first.getByRole('heading', { name: 'Log in', exact: true }).count(), 0, 'not sent to log in');
    await first.unroute('**/api/v1/auth/refresh');
    await failure.getByRole('button', { name: 'Try again' }).click();
    await first.getByRole('heading', { name: 'Today', exact: true }).waitFor();
    // Both browsers' access tokens are now at most this old.
    const renewedAt = Date.now();

    // The second browser's session is ended from the other device; its access token still works for a while.
    const { body: sessions } = await api(planner.base, other.access_token, 'GET', '/api/v1/auth/sessions');
    const newest = Math.max(...sessions.items.map((s) => s.id));
    assert.equal((await api(planner.base, other.access_token, 'DELETE', `/api/v1/auth/sessions/${newest}`)).status, 204);

    const refreshes = [];
    first.on('request', (request) => {
      if (request.url().endsWith('/api/v1/auth/refresh')) refreshes.push(request.url());
    });
    await new Promise((r) => setTimeout(r, Math.max(0, renewedAt + EXPIRY_MS - Date.now())));

    // Past expiry, a refresh that cannot reach the server is an error on the page, not a log-out.
    await first.route('**/api/v1/auth/refresh', (route) => route.abort('failed'));
    await first.getByRole('link', { name: 'Tasks' }).click();
    const unreachable = first.getByRole('alert').filter({ hasText: 'could not be reached' });
    await unreachable.waitFor();
    assert.equal(await first.getByRole('heading', { name: 'Log in', exact: true }).count(), 0, 'still logged in');
    await first.unroute('**/api/v1/auth/refresh');
    refreshes.length = 0;

    // Once it answers, the first browser works again: a 401, one refresh, the request again.
    await unreachable.getByRole('button', { name: 'Try again' }).click();
    await first.getByText('No tasks match.').waitFor();
    await first.getByLabel('Title', { exact: true }).fill('After expiry');
    await first.getByRole('button', { name: 'Add task' }).click();
    await first.locator('li.task-item', { hasText: 'After expiry' }).waitFor();
    assert.equal(refreshes.length, 1, 'one refresh for the page and the new task together');
    await first.getByRole('heading', { name: 'Tasks', exact: true }).waitFor();

    // The second browser's next request meets a 401 that no refresh can cure: the login page says why.
    await screenshotOnFailure(second, 'session-second', async () => {
      await second.getByRole('link', { name: 'Tasks' }).click();
      await second.getByRole('heading', { name: 'Log in', exact: true }).waitFor();
      await second.getByText('Your session has ended. Please log in again.').waitFor();
    });
  });
});
