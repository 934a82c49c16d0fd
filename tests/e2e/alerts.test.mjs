// Browser test of the Alerts page: a field-level error on a bad webhook URL, a Teams webhook
// channel added, "send test" delivered to a local HTTPS receiver (and a refusal shown with its
// reason and in the health banner), a rule added, the notices listed; the page in German.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../lib/browser.mjs';
import { REPO_ROOT, startDaemon } from '../lib/daemon.mjs';
import { makePki } from '../lib/wfm.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const dict = async (lang) => (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
const en = await dict('en');
const de = await dict('de');
const cleanup = [];
let page, pageErrors, hook;

before(async () => {
  const pki = makePki('alerts-e2e');
  hook = { received: [], status: 200 };
  hook.server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      hook.received.push(JSON.parse(body));
      res.writeHead(hook.status, { 'Content-Type': 'application/json' });
      res.end(hook.status === 200 ? '{}' : '{"error":"channel archived"}');
    });
  });
  hook.server.listen(0, '127.0.0.1');
  await once(hook.server, 'listening');
  cleanup.push(() => new Promise((res) => hook.server.close(res)));
  hook.pki = pki;
  const daemon = await startDaemon({ users: [ADMIN] });
  cleanup.push(() => daemon.stop());
  pageErrors = [];
  let profileDir, context;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations: [] }));
  cleanup.push(() => fsp.rm(profileDir, { recursive: true, force: true }));
  cleanup.push(() => context.close());
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="app-footer"]').waitFor();
});

after(async () => {
  for (const f of cleanup.reverse()) {
    await f().catch(() => {});
  }
});

test('add a Teams webhook channel, send a test, see a refusal, add a rule', async () => {
  await page.click('#nav-alerts');
  await page.locator('[data-testid="alerts-page"]').waitFor();
  assert.equal(await page.locator('h1').textContent(), en['alerts.title']);

  // a plain http URL: the error sits under the URL field
  await page.fill('#channel-create-name', 'WFM team');
  await page.fill('#channel-create-url', `http://localhost:${hook.server.address().port}/hook`);
  await page.click('#channel-create-submit');
  const urlError = page.locator('#channel-create-url-error');
  await urlError.waitFor();
  assert.match(await urlError.textContent(), /must start with https:\/\//);
  assert.equal(await page.locator('#channel-create-url').getAttribute('aria-invalid'), 'true');

  await page.fill('#channel-create-url', `https://localhost:${hook.server.address().port}/hook`);
  await page.selectOption('#channel-create-format', 'teams');
  await page.fill('#channel-create-ca_file', hook.pki.caFile);
  await page.fill('#channel-create-secret', 'team-token');
  await page.click('#channel-create-submit');
  const row = page.locator('[data-testid="channel-row"][data-name="WFM team"]');
  await row.waitFor();
  assert.match(await page.locator('[data-testid="alerts-notice"]').textContent(), /WFM team/);

  // send test: delivered as an Adaptive Card
  await page.click('[data-testid="channel-test"]');
  const result = page.locator('[data-testid="channel-test-result"]');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-ok'), 'true');
  assert.equal(await result.textContent(), en['alerts.test_ok']);
  assert.equal(hook.received.length, 1);
  assert.equal(hook.received[0].attachments[0].content.body[0].text, "Test notice for channel 'WFM team'");
  await page.locator('[data-testid="notice-row"][data-outcome="sent"]').waitFor();

  // the receiver refuses: the reason shows at the channel, in the notices and in the banner
  hook.status = 410;
  await page.click('[data-testid="channel-test"]');
  await page.locator('[data-testid="channel-test-result"][data-ok="false"]').waitFor();
  assert.match(await page.locator('[data-testid="channel-test-result"]').textContent(), /the webhook answered 410: \{"error":"channel archived"\}/);
  assert.equal(await page.locator('[data-testid="channel-status"]').textContent(), en['alerts.status_failing']);
  await page.locator('[data-testid="notice-row"][data-outcome="failed"]').waitFor();
  await page.click('#nav-runs');
  await page.click('#nav-alerts');
  const banner = page.locator('[data-testid="health-problem-alerts"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), new RegExp(en['health.check.alerts']));
  assert.match(await banner.textContent(), /WFM team/);
  hook.status = 200;

  // a rule with a bad interval: the error sits under the interval; then a good one
  await page.selectOption('#rule-create-event', 'target_failing');
  await page.fill('#rule-create-interval', '99999');
  await page.click('#rule-create-submit');
  await page.locator('#rule-create-interval-error').waitFor();
  assert.match(await page.locator('#rule-create-interval-error').textContent(), /min_interval_seconds: must be 0\.\.604800/);
  await page.fill('#rule-create-interval', '30');
  await page.click('#rule-create-submit');
  const rule = page.locator('[data-testid="rule-row"][data-event="target_failing"]');
  await rule.waitFor();
  assert.match(await rule.textContent(), /30 min/);
  assert.match(await rule.textContent(), /WFM team/);
  await page.click('[data-testid="rule-toggle"]');
  await page.locator('[data-testid="rule-enabled"]', { hasText: en['common.no'] }).waitFor();

  // the page in German
  await page.selectOption('#lang-select', 'de');
  await page.locator('h1', { hasText: de['alerts.title'] }).waitFor();
  assert.equal(await page.locator('#channel-create-submit').textContent(), de['alerts.channel_create_submit']);
  assert.match(await page.locator('[data-testid="rule-row"]').textContent(), new RegExp(de['alerts.event.target_failing']));
  await page.selectOption('#lang-select', 'en');
  assert.deepEqual(pageErrors, []);
});
