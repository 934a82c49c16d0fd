// Browser test of the admin console: real daemon, real TLS, Debian's headless Chromium.
//
// Design note: one daemon and one browser for the whole file; the steps run in order and share
// the page, like an admin clicking through. The daemon's self-signed certificate is trusted by
// pinning its public key (--ignore-certificate-errors-spki-list), so TLS stays real: any other
// certificate would still be rejected. A missing Chromium is a failure, never a skip.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const ALICE = { name: 'alice', role: 'operator', password: 'alice-Passw0rd-e2e-long' };

// The console's own dictionaries, so the test follows the wording instead of copying it.
const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}

let daemon;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];

/** base64 SHA-256 of the certificate's SubjectPublicKeyInfo, the form Chromium's pin list wants. */
/** Waits until an element matching `selector` shows exactly `text`. */
async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-${name}.png`), fullPage: true });
}

async function htmlLang() {
  return page.evaluate(() => document.documentElement.lang);
}

/** The visible texts that must follow the language: header, navigation, page title, a button. */
async function checkLanguage(lang) {
  const d = dict[lang];
  await waitText('h1', d['users.title']);
  await waitText('#logout', d['header.logout']);
  await waitText('#nav-tokens', d['nav.tokens']);
  await waitText('#user-create-submit', d['users.create_submit']);
  await waitText('label[for="user-create-password"]', d['users.password']);
  assert.equal(await htmlLang(), lang, '<html lang> follows the chosen language');
  assert.equal(await page.inputValue('#lang-select'), lang);
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  assert.ok(daemon.ca && daemon.ca.includes('BEGIN CERTIFICATE'), 'daemon wrote tls/cert.pem');

  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: 'UTC', pageErrors, cspViolations,
  }));
});

after(async () => {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  if (daemon) {
    await daemon.stop();
  }
});

test('the console is served with its CSP and opens on the login page', async () => {
  const response = await page.goto(`${daemon.url}/`);
  assert.equal(response.status(), 200);
  const csp = response.headers()['content-security-policy'] || '';
  assert.match(csp, /default-src 'self'/, 'index.html carries the CSP');
  await page.locator('[data-testid="login-page"]').waitFor();
  // the page shows the login form first, then puts #/login into the address
  await page.waitForURL(/#\/login$/);
  await waitText('#login-submit', dict.en['login.submit']);
  assert.equal(await htmlLang(), 'en', 'default language from navigator.language (en-US)');
  await shot('login');
});

test('a wrong password shows the API error next to the form', async () => {
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login-submit');
  const error = page.locator('#login-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-code'), 'invalid_credentials');
  assert.ok((await error.textContent()).includes(dict.en['error.invalid_credentials']));
  assert.equal(await page.inputValue('#login-password'), '', 'password field is cleared');
  await shot('login-error');
});

test('the admin signs in and lands on the home page', async () => {
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="home-page"]').waitFor();
  assert.match(page.url(), /#\/home$/);
  await page.click('#nav-users');
  await page.locator('[data-testid="users-page"]').waitFor();
  await waitText('#current-user', ADMIN.name);
  await waitText('#current-role', dict.en['role.admin']);
  await page.locator(`[data-testid="user-row"][data-name="${ADMIN.name}"]`).waitFor();
});

test('every page\'s footer names the tz data that converts local times', async () => {
  const m = /^# version (\S+)/.exec(await fsp.readFile('/usr/share/zoneinfo/tzdata.zi', 'utf8'));
  assert.ok(m, 'no /usr/share/zoneinfo/tzdata.zi: install tzdata');
  await waitText('[data-testid="tzdata"]', dict.en['footer.tzdata'].replace('{v}', m[1]));
  await page.click('#nav-audit');
  await waitText('[data-testid="tzdata"]', dict.en['footer.tzdata'].replace('{v}', m[1]));
  await page.click('#nav-users');
  await page.locator('[data-testid="users-page"]').waitFor();
});

test('creating a user adds it to the list; bad input shows the API error', async () => {
  await page.fill('#user-create-name', ALICE.name);
  await page.selectOption('#user-create-role', ALICE.role);
  await page.fill('#user-create-password', 'short');
  await page.click('#user-create-submit');
  const error = page.locator('#user-create-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-code'), 'invalid_field');

  await page.fill('#user-create-password', ALICE.password);
  await page.click('#user-create-submit');
  const row = page.locator(`[data-testid="user-row"][data-name="${ALICE.name}"]`);
  await row.waitFor();
  assert.equal(await row.locator('[data-testid="user-role-select"]').inputValue(), ALICE.role);
  await page.locator('[data-testid="users-notice"]').waitFor();
  assert.equal(await page.locator('#user-create-error').count(), 0, 'error gone after success');
  assert.equal(await page.inputValue('#user-create-password'), '', 'password field is cleared');

  // The same name again: 409 conflict, shown at the form.
  await page.fill('#user-create-name', ALICE.name);
  await page.fill('#user-create-password', ALICE.password);
  await page.click('#user-create-submit');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-code'), 'conflict');
  await shot('users');
});

test('the language switches to German and French and survives a reload', async () => {
  await checkLanguage('en');
  await page.selectOption('#lang-select', 'de');
  await checkLanguage('de');
  await page.reload();
  await page.locator('[data-testid="users-page"]').waitFor();
  await checkLanguage('de');
  await page.locator(`[data-testid="user-row"][data-name="${ALICE.name}"]`).waitFor();
  await shot('users-de');

  await page.selectOption('#lang-select', 'fr');
  await checkLanguage('fr');
  await page.reload();
  await page.locator('[data-testid="users-page"]').waitFor();
  await checkLanguage('fr');
  await shot('users-fr');

  await page.selectOption('#lang-select', 'en');
  await checkLanguage('en');
});

test('a new token is shown once, never stored in the URL or localStorage', async () => {
  await page.click('#nav-tokens');
  await page.locator('[data-testid="tokens-page"]').waitFor();
  await page.fill('#token-create-name', 'e2e-monitoring');
  await page.selectOption('#token-create-role', 'viewer');
  await page.click('#token-create-submit');
  await page.locator('[data-testid="token-secret-box"]').waitFor();
  const secret = await page.inputValue('#token-secret');
  assert.match(secret, /^acdl_/);
  await page.locator('[data-testid="token-row"][data-name="e2e-monitoring"]').waitFor();
  await shot('token-secret');

  assert.ok(!page.url().includes(secret), 'secret not in the URL');
  const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
  assert.ok(!stored.includes(secret), 'secret not in localStorage');

  await page.click('#token-secret-done');
  await page.locator('#token-create-form').waitFor();
  assert.equal(await page.locator('#token-secret').count(), 0);
  assert.ok(!(await page.content()).includes(secret), 'secret gone from the page');
});

test('the audit log lists what happened and filters by action', async () => {
  await page.click('#nav-audit');
  await page.locator('[data-testid="audit-page"]').waitFor();
  await page.locator('[data-testid="audit-row"][data-action="user.create"]').first().waitFor();
  await page.selectOption('#audit-filter-action', 'token.create');
  await page.click('#audit-apply');
  await page.locator('[data-testid="audit-row"][data-action="token.create"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="audit-row"]:not([data-action="token.create"])').count(), 0);
  await shot('audit');
});

test('long lists page through next_cursor with "load more"', async () => {
  // 55 more tokens through the API (a second session), so tokens and audit exceed one page (50).
  const api = await login(daemon, ADMIN.name, ADMIN.password);
  try {
    for (let i = 0; i < 55; i++) {
      const r = await api.post('/api/v1/tokens', { name: `bulk-${i}`, role: 'viewer' });
      assert.equal(r.status, 201, `token bulk-${i}: ${r.status} ${r.text}`);
    }
  } finally {
    api.close();
  }
  const rows = page.locator('[data-testid="token-row"]');
  await page.click('#nav-users');
  await page.locator('[data-testid="users-page"]').waitFor();
  await page.click('#nav-tokens');
  await page.locator('#tokens-more').waitFor();
  assert.equal(await rows.count(), 50);
  await page.click('#tokens-more');
  await page.locator('#tokens-more').waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 56);

  await page.click('#nav-audit');
  await page.locator('#audit-more').waitFor();
  const entries = page.locator('[data-testid="audit-row"]');
  assert.equal(await entries.count(), 50);
  await page.click('#audit-more');
  await entries.nth(50).waitFor();
});

test('the users page is usable on a narrow screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('#nav-toggle'); // the navigation is folded into the menu button
  await page.click('#nav-users');
  await page.locator(`[data-testid="user-row"][data-name="${ALICE.name}"]`).waitFor();
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await shot('users-narrow');
  await page.setViewportSize({ width: 1280, height: 720 });
});

test('a lost session (401) sends the console back to the login page', async () => {
  await context.clearCookies();
  await page.click('#nav-tokens');
  await page.locator('[data-testid="login-page"]').waitFor();
  // the page shows the login form first, then puts #/login into the address
  await page.waitForURL(/#\/login$/);
  await waitText('[data-testid="login-notice"]', dict.en['login.session_ended']);

  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="home-page"]').waitFor();
});

test('logging out returns to the login page and ends the session', async () => {
  await page.click('#logout');
  await page.locator('[data-testid="login-page"]').waitFor();
  // the page shows the login form first, then puts #/login into the address
  await page.waitForURL(/#\/login$/);
  await waitText('[data-testid="login-notice"]', dict.en['login.logged_out']);
  assert.equal(await page.locator('#logout').count(), 0);
  await shot('logged-out');

  // The cookie no longer opens a session: a reload stays on the login page.
  await page.goto(`${daemon.url}/#/users`);
  await page.locator('[data-testid="login-page"]').waitFor();
  // the page shows the login form first, then puts #/login into the address
  await page.waitForURL(/#\/login$/);
});

test('throttled sign-ins show the Retry-After wait', async () => {
  // Wrong passwords until the daemon locks (login_max_failures, default 5); the last step,
  // because the lock also covers this client address.
  let code = null;
  for (let i = 0; i < 10 && code !== 'too_many_requests'; i++) {
    await page.fill('#login-username', ALICE.name);
    await page.fill('#login-password', `wrong-${i}`);
    await page.click('#login-submit');
    const error = page.locator('#login-error');
    await error.waitFor();
    await page.locator('#login-submit').filter({ hasText: exact(dict.en['login.submit']) }).waitFor();
    code = await error.getAttribute('data-code');
  }
  assert.equal(code, 'too_many_requests');
  const wait = await page.locator('#login-error [data-testid="retry-after"]').textContent();
  assert.match(wait, /\d+/, `the wait is shown: ${wait}`);
  await shot('login-throttled');
});

test('no script errors and no CSP violations on the way', () => {
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  assert.deepEqual(cspViolations, [], 'CSP violations');
});
