// Browser-test helpers: Debian's chromium driven by playwright-core against the real daemon,
// trusting only the daemon's own certificate (pinned by its public key). Page errors and CSP
// violations go into arrays the tests assert on.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { makeTempDir } from './daemon.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** base64 SHA-256 of a certificate's public key, for --ignore-certificate-errors-spki-list. */
export function spkiHash(pem) {
  const der = new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

/** A regular expression that matches exactly text (blanks around it allowed). */
export function exact(text) {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/**
 * Launches chromium with a fresh profile for daemon (1280x720, en-US, the given time zone);
 * page errors and CSP violations are pushed into the given arrays. Fails, never skips, when
 * chromium is missing. Returns {context, page, profileDir}.
 */
export async function launchBrowser(daemon, { timezoneId, pageErrors, cspViolations }) {
  assert.ok(fs.existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium package (the browser test needs it)`);
  const profileDir = await makeTempDir('acdlink-e2e-chromium-');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiHash(daemon.ca)}`],
    viewport: { width: 1280, height: 720 },
    locale: 'en-US',
    timezoneId,
  });
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) {
      cspViolations.push(msg.text());
    }
  });
  return { context, page, profileDir };
}

/**
 * Waits until cond() (sync or async) gives a truthy value and returns it; polls, so what
 * decides is the condition, never a fixed delay. Throws naming what after timeoutMs.
 */
export async function until(cond, what, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Waits until the input at selector holds value (the page fills it when its data arrive). */
export async function waitValue(page, selector, value, timeoutMs = 30000) {
  await page.waitForFunction(([s, v]) => {
    const el = document.querySelector(s);
    return el !== null && el.value === v;
  }, [selector, value], { timeout: timeoutMs }).catch(async (e) => {
    const now = await page.inputValue(selector).catch(() => '(no element)');
    throw new Error(`${selector} never held '${value}' (it holds '${now}'): ${e.message}`);
  });
}

/** Signs user in through the login form and waits for the signed-in header. */
export async function signIn(page, daemon, user) {
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', user.name);
  await page.fill('#login-password', user.password);
  await page.click('#login-submit');
  await page.locator('#current-user').waitFor();
}

/** Closes what launchBrowser opened (either may be undefined when before() failed early). */
export async function closeBrowser(context, profileDir) {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fs.promises.rm(profileDir, { recursive: true, force: true });
  }
}

/**
 * A console test's end: the browser and its profile, then the test's own folders, the API
 * session and the daemon (each where it was made).
 */
export async function closeConsoleTest({ context, profileDir, dirs = [], api, daemon }) {
  await closeBrowser(context, profileDir);
  for (const dir of dirs) {
    if (dir) {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }
  api?.close();
  if (daemon) {
    await daemon.stop();
  }
}
