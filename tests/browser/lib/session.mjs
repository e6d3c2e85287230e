// Logging in, for the browser tests: over REST (a bearer token for the tests' own API calls) and
// through the UI's login page. Every test file logs in as the stack's admin.
import assert from 'node:assert/strict';

// A session token for the stack's admin, from POST /api/v1/login.
export async function adminToken(stack) {
  const response = await fetch(`${stack.baseUrl}/api/v1/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: stack.adminPassword }),
  });
  assert.equal(response.status, 200, 'admin logs in through the REST api');
  return (await response.json()).token;
}

// GET /api/v1/<route> with `token`; asserts 200 and returns the JSON.
export async function getJson(stack, token, route) {
  const response = await fetch(`${stack.baseUrl}/api/v1/${route}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `GET ${route}: ${await response.clone().text()}`);
  return response.json();
}

// Fills the UI's login form at `url` as admin; with `waitForSearch`, waits for the search page.
export async function loginPage(page, stack, { password = stack.adminPassword, url = `${stack.baseUrl}/#/login`,
  waitForSearch = true } = {}) {
  await page.goto(url);
  await page.waitForSelector('#login-form:visible');
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', password);
  await page.click('#login-button');
  if (waitForSearch) await page.waitForSelector('#search-form:visible');
}
