// Swagger UI at /docs works in a real browser: the document loads, "Authorize" takes a token, "Try it out" calls the API.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startPlanner, startBrowser, screenshotOnFailure, signUp } from './harness.mjs';

let planner;
let browser;

before(async () => {
  planner = await startPlanner();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  planner?.stop();
});

test('Swagger UI authorizes with a bearer token and "Try it out" calls GET /api/v1/me', async () => {
  const tokens = await signUp(planner.base, 'swaggerfan');
  const page = await browser.newPage();
  await screenshotOnFailure(page, 'swagger-try-it-out', async () => {
    await page.goto(`${planner.base}/docs/`);
    await page.getByText('All-in-One Planner API').first().waitFor();

    await page.getByRole('button', { name: /Authorize/ }).first().click();
    await page.locator('.modal-ux input[type=text], .modal-ux input:not([type])').first().fill(tokens.access_token);
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    const operation = page.locator('#operations-me-get_me');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    const status = operation.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    assert.equal((await status.innerText()).trim(), '200');
    const body = await operation.locator('.live-responses-table tbody .response-col_description pre').first().innerText();
    assert.match(body, /"username": "swaggerfan"/);
  });
});
