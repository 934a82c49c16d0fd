// Alerts: channels (a webhook on a local HTTPS receiver, e-mail through a real SMTP server from
// Debian's python3-aiosmtpd on loopback, with STARTTLS or implicit TLS and AUTH), rules with a
// minimum interval and recovery notices, "send test", failures shown in health, the secret
// never returned or exported, config export and apply. Every answer is checked against the spec.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { assertError, assertInvalidField, assertStatus, createUser, loadSpec, pw, show, startWithAdmin } from '../lib/api.mjs';
import { freePort, login, makeTempDir, REPO_ROOT } from '../lib/daemon.mjs';
import { waitFor } from '../lib/pipeline.mjs';
import { checkAnswer, specViolations } from '../lib/schema.mjs';
import { makePki } from '../lib/wfm.mjs';

const { messageText, translator } = await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'index.js')).href);
const spec = loadSpec();
const PYTHON = '/usr/bin/python3';
const SMTP_SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'lib', 'smtp_server.py');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const NOTICE_KEYS = ['appliance', 'at', 'event', 'message', 'state', 'subject', 'suppressed', 'title'];

let d, admin, pki, hook, folder;

/** A webhook receiver: records every request (headers, parsed JSON); answers `status`. */
async function startHook(keyPem, certPem) {
  const h = { received: [], status: 200 };
  h.server = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let json = null;
      try { json = JSON.parse(body); } catch { json = null; }
      h.received.push({ path: req.url, method: req.method, headers: req.headers, body, json });
      res.writeHead(h.status, { 'Content-Type': 'application/json' });
      res.end(h.status === 200 ? '{"ok":true}' : '{"error":"refused on purpose"}');
    });
  });
  h.server.listen(0, '127.0.0.1');
  await once(h.server, 'listening');
  h.port = h.server.address().port;
  h.url = (p) => `https://localhost:${h.port}${p}`;
  return h;
}

/** A real SMTP server on loopback (see tests/lib/smtp_server.py). */
async function startSmtp(mode, user, password) {
  const port = await freePort();
  const child = spawn(PYTHON, [SMTP_SCRIPT, String(port), mode, path.join(pki.dir, 'server.pem'),
    path.join(pki.dir, 'server.key'), user, password], { stdio: ['pipe', 'pipe', 'inherit'] });
  const s = { port, child, messages: [], refused: [] };
  const lines = readline.createInterface({ input: child.stdout });
  let ready;
  const isReady = new Promise((resolve) => { ready = resolve; });
  lines.on('line', (l) => {
    const m = JSON.parse(l);
    if (m.ready) ready();
    else if (m.refused !== undefined) s.refused.push(m);
    else s.messages.push(m);
  });
  await Promise.race([isReady, once(child, 'exit').then(() => { throw new Error('the SMTP server did not start'); })]);
  s.stop = async () => { child.stdin.end(); await once(child, 'exit'); };
  return s;
}

function check(method, pattern, res) {
  assert.deepEqual(checkAnswer(spec, method, pattern, res), [], show(res));
  return res;
}

async function sendTest(id) {
  const r = check('POST', '/api/v1/alerts/channels/{id}/test', await admin.post(`/api/v1/alerts/channels/${id}/test`));
  assertStatus(r, 202);
  const j = await waitFor(async () => {
    const g = await admin.get(r.headers.location);
    return g.body.state === 'done' || g.body.state === 'failed' ? g.body : null;
  }, 'the test job');
  assert.equal(j.state, 'done', JSON.stringify(j));
  return j.result;
}

async function notices(query = '') {
  return check('GET', '/api/v1/alerts/notices', await admin.get(`/api/v1/alerts/notices${query}`)).body.items;
}

async function healthProblem(checkName) {
  const h = await admin.get('/api/v1/health');
  return h.body.problems.find((p) => p.check === checkName);
}

before(async () => {
  pki = makePki('alerts');
  hook = await startHook(pki.key, pki.cert);
  folder = await makeTempDir('acdlink-alerts-');
  ({ d, admin } = await startWithAdmin());
});

after(async () => {
  await d?.stop();
  hook?.server.close();
});

test('webhook channels: validated, admin only, the bearer token write-only', async () => {
  const base = { name: 'Ops hook', kind: 'webhook', settings: { url: hook.url('/hook'), ca_file: pki.caFile } };
  assertInvalidField(await admin.post('/api/v1/alerts/channels', { ...base, settings: { url: 'http://localhost/hook' } }), 'settings.url');
  assertInvalidField(await admin.post('/api/v1/alerts/channels', { ...base, settings: { url: 'file:///etc/passwd' } }), 'settings.url');
  assertInvalidField(await admin.post('/api/v1/alerts/channels', { ...base, settings: { url: 'https://user:pw@localhost/x' } }), 'settings.url');
  assertInvalidField(await admin.post('/api/v1/alerts/channels', { ...base, settings: { ...base.settings, format: 'telex' } }), 'settings.format');
  assertInvalidField(await admin.post('/api/v1/alerts/channels', { ...base, kind: 'pager' }), 'kind');
  const bad = await admin.post('/api/v1/alerts/channels', { ...base, settings: { url: 'https://user:s3cret@localhost/x' } });
  assert.ok(!JSON.stringify(bad.body).includes('s3cret'), `credentials echoed: ${show(bad)}`);

  const c = check('POST', '/api/v1/alerts/channels', await admin.post('/api/v1/alerts/channels', { ...base, secret: 'hook-token-1' }));
  assertStatus(c, 201);
  assert.equal(c.body.secret_set, true);
  assert.ok(!JSON.stringify(c.body).includes('hook-token-1'), show(c));
  assert.equal(c.body.settings.format, 'json');
  assertError(await admin.post('/api/v1/alerts/channels', base), 409, 'conflict');

  await createUser(admin, 'alert-op', 'operator', pw('alert-op'));
  const op = await login(d, 'alert-op', pw('alert-op'));
  assertError(await op.get('/api/v1/alerts/channels'), 403, 'forbidden');
  assertError(await op.post('/api/v1/alerts/channels', { ...base, name: 'Other' }), 403, 'forbidden');
  assertError(await op.get('/api/v1/alerts/rules'), 403, 'forbidden');

  const list = check('GET', '/api/v1/alerts/channels', await admin.get('/api/v1/alerts/channels'));
  assert.ok(!JSON.stringify(list.body).includes('hook-token-1'));

  // send test: the receiver gets acdlink's notice, exactly these members, with the bearer token
  hook.received.length = 0;
  const result = await sendTest(c.body.id);
  assert.deepEqual(result, { ok: true, message: 'the channel took the test notice' });
  assert.equal(hook.received.length, 1);
  const got = hook.received[0];
  assert.equal(got.path, '/hook');
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(got.headers.authorization, 'Bearer hook-token-1');
  assert.deepEqual(Object.keys(got.json).sort(), NOTICE_KEYS);
  assert.equal(got.json.event, 'test');
  assert.equal(got.json.state, 'test');
  assert.equal(got.json.subject, 'Ops hook');
  assert.equal(got.json.title, "Test notice for channel 'Ops hook'");
  assert.match(got.json.message, /^root asked for this test\./);
  assert.match(got.json.at, ISO);
  assert.equal(got.json.suppressed, 0);
  assert.equal(typeof got.json.appliance, 'string');

  // Slack and Teams payloads
  for (const format of ['slack', 'teams']) {
    const p = check('PATCH', '/api/v1/alerts/channels/{id}', await admin.patch(`/api/v1/alerts/channels/${c.body.id}`, { settings: { ...base.settings, format } }));
    assertStatus(p, 200);
    hook.received.length = 0;
    assert.equal((await sendTest(c.body.id)).ok, true);
    const j = hook.received[0].json;
    if (format === 'slack') {
      assert.deepEqual(Object.keys(j), ['text']);
      assert.match(j.text, /^\*Test notice for channel 'Ops hook'\*\nroot asked for this test\./);
    } else {
      assert.equal(j.type, 'message');
      assert.equal(j.attachments.length, 1);
      const a = j.attachments[0];
      assert.equal(a.contentType, 'application/vnd.microsoft.card.adaptive');
      assert.equal(a.content.type, 'AdaptiveCard');
      assert.equal(a.content.body[0].type, 'TextBlock');
      assert.equal(a.content.body[0].text, "Test notice for channel 'Ops hook'");
      assert.match(a.content.body[1].text, /root asked for this test/);
    }
  }

  // a refusing webhook: the test says why, health shows it, a good send clears it
  hook.status = 500;
  const failed = await sendTest(c.body.id);
  assert.equal(failed.ok, false);
  assert.match(failed.message, /the webhook answered 500/);
  const prob = await healthProblem('alerts');
  assert.ok(prob, 'health names the failing channel');
  assert.match(prob.message, /Ops hook/);
  const g = check('GET', '/api/v1/alerts/channels/{id}', await admin.get(`/api/v1/alerts/channels/${c.body.id}`));
  assert.match(g.body.last_error, /answered 500/);
  const n = await notices(`?channel_id=${c.body.id}`);
  assert.equal(n[0].outcome, 'failed');
  assert.match(n[0].error, /500/);
  hook.status = 200;
  assert.equal((await sendTest(c.body.id)).ok, true);
  assert.equal(await healthProblem('alerts'), undefined);
  assertStatus(await admin.patch(`/api/v1/alerts/channels/${c.body.id}`, { settings: base.settings }), 200);
});

test('e-mail over STARTTLS with AUTH: headers, a wrong password says so, implicit TLS', async () => {
  const smtp = await startSmtp('starttls', 'alerts@example.com', 'right-password');
  const tls = await startSmtp('tls', 'alerts@example.com', 'right-password');
  try {
    const settings = { host: 'localhost', port: smtp.port, security: 'starttls', from: 'acdlink@example.com',
      to: ['wfm-admin@example.com', 'ops@example.com'], user: 'alerts@example.com', ca_file: pki.caFile };
    assertInvalidField(await admin.post('/api/v1/alerts/channels', { name: 'Mail', kind: 'email', settings: { ...settings, to: ['not an address'] } }), 'settings.to[0]');
    assertInvalidField(await admin.post('/api/v1/alerts/channels', { name: 'Mail', kind: 'email', settings: { ...settings, security: 'none' } }), 'settings.security');
    assertInvalidField(await admin.post('/api/v1/alerts/channels', { name: 'Mail', kind: 'email', settings: { ...settings, ca_file: '/nonexistent/ca.pem' } }), 'settings.ca_file');
    const c = check('POST', '/api/v1/alerts/channels', await admin.post('/api/v1/alerts/channels', {
      name: 'Mail Köln', kind: 'email', settings, secret: 'wrong-password' }));
    assertStatus(c, 201);
    assert.ok(!JSON.stringify(c.body).includes('password"'), show(c));

    const bad = await sendTest(c.body.id);
    assert.equal(bad.ok, false);
    assert.match(bad.message, /refused the user name or password \(535/);
    assert.equal(bad.message_code, 'alert.email_failed', JSON.stringify(bad));
    assert.equal(bad.message_params.detail_code, 'smtp.auth_refused', JSON.stringify(bad));
    assert.ok(!bad.message.includes('wrong-password'));
    // the server reports its refusal on its own pipe, which may come after the daemon's answer
    await waitFor(() => smtp.refused.length === 1, 'the refusal at the SMTP server');
    assert.equal(smtp.messages.length, 0);
    const problem = await healthProblem('alerts');
    assert.match(problem.message, /Mail Köln/);
    // the refusal is coded down to the server's own reply, so health words it in every language
    assert.equal(problem.code, 'health.alerts_failing', show({ body: problem }));
    assert.equal(problem.params.detail_code, 'alert.email_failed', show({ body: problem }));
    const mail = problem.params.detail_params;
    assert.equal(mail.port, smtp.port);
    assert.equal(mail.detail_code, 'smtp.auth_refused', show({ body: problem }));
    assert.equal(mail.detail_params.status, 535);
    assert.match(messageText(translator('en'), problem, 'en'), /the mail server localhost port \d+: the server refused the user name or password \(535 /);
    for (const lang of ['de', 'fr']) {
      const text = messageText(translator(lang), problem, lang);
      assert.match(text, /Mail Köln/);
      assert.ok(text.includes(`535 ${mail.detail_params.reply}`), text);
      for (const e of ['refused the user name', 'the mail server', 'set the right password', 'fail to deliver']) {
        assert.ok(!text.includes(e), `${lang}: "${e}" in ${text}`);
      }
    }
    const stored = (await admin.get(`/api/v1/alerts/channels/${c.body.id}`)).body;
    assert.equal(stored.last_error_code, 'alert.email_failed', show({ body: stored }));
    assert.equal(stored.last_error_params.detail_code, 'smtp.auth_refused');
    const logs = d.stderr();
    assert.match(logs, /channel 'Mail Köln': test notice .* not delivered: the mail server localhost/);
    assert.ok(!logs.includes('wrong-password') && !logs.includes('right-password'), 'no password in the log');

    assertStatus(await admin.patch(`/api/v1/alerts/channels/${c.body.id}`, { secret: 'right-password' }), 200);
    assert.deepEqual(await sendTest(c.body.id), { ok: true, message: 'the channel took the test notice' });
    await waitFor(() => smtp.messages.length === 1, 'the message at the SMTP server');
    const m = smtp.messages[0];
    assert.equal(m.tls, true);
    assert.equal(m.auth, 'alerts@example.com');
    assert.equal(m.mail_from, 'acdlink@example.com');
    assert.deepEqual(m.rcpt_tos, ['wfm-admin@example.com', 'ops@example.com']);
    const [head, body] = m.data.split(/\r?\n\r?\n/, 2);
    assert.match(head, /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/m);
    assert.match(head, /^Message-ID: <[0-9a-f]{24}\.[0-9a-f]+@example\.com>$/m);
    assert.match(head, /^From: acdlink@example\.com$/m);
    assert.match(head, /^To: wfm-admin@example\.com,\r?\n ops@example\.com$/m);
    const subj = /^Subject: (.*(?:\r?\n .*)*)$/m.exec(head)[1];
    const decoded = subj.split(/\r?\n /).map((w) => {
      const e = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(w.trim());
      assert.ok(e, `subject word '${w}' is not a UTF-8 encoded word`);
      return Buffer.from(e[1], 'base64');
    });
    assert.equal(Buffer.concat(decoded).toString('utf8'), "[acdlink] Test notice for channel 'Mail Köln'");
    assert.match(head, /^Content-Type: text\/plain; charset=UTF-8$/m);
    assert.match(body, /^Test notice for channel 'Mail Köln'/);
    assert.equal(await healthProblem('alerts'), undefined);

    // implicit TLS (port 465 style), AUTH LOGIN
    const t = await admin.post('/api/v1/alerts/channels', { name: 'Mail TLS', kind: 'email',
      settings: { ...settings, port: tls.port, security: 'tls', auth: 'login' }, secret: 'right-password' });
    assertStatus(t, 201);
    assert.deepEqual(await sendTest(t.body.id), { ok: true, message: "the channel took the test notice" });
    await waitFor(() => tls.messages.length === 1, 'the message at the TLS server');
    assert.equal(tls.messages[0].tls, true);
    // a server without STARTTLS on the plain port is named as such
    assertStatus(await admin.patch(`/api/v1/alerts/channels/${t.body.id}`, { settings: { ...settings, port: tls.port, timeout_seconds: 2 } }), 200);
    const wrongMode = await sendTest(t.body.id);
    assert.equal(wrongMode.ok, false);
    assert.match(wrongMode.message, /greeting|STARTTLS/);
    assertStatus(await admin.delete(`/api/v1/alerts/channels/${t.body.id}`), 204);
    assertStatus(await admin.delete(`/api/v1/alerts/channels/${c.body.id}`), 204);
  } finally {
    await smtp.stop();
    await tls.stop();
  }
});

test('rules: two failed runs within the interval give one notice; recovery says what was held back', async () => {
  const ch = (await admin.get('/api/v1/alerts/channels')).body.items.find((c) => c.name === 'Ops hook');
  assertInvalidField(await admin.post('/api/v1/alerts/rules', { event: 'run_exploded', channel_id: ch.id }), 'event');
  assertInvalidField(await admin.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: ch.id, min_interval_seconds: -1 }), 'min_interval_seconds');
  assertInvalidField(await admin.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: 9999 }), 'channel_id');
  const rule = check('POST', '/api/v1/alerts/rules', await admin.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: ch.id, min_interval_seconds: 3600 }));
  assertStatus(rule, 201);
  assert.deepEqual({ ...rule.body, id: 0, created_at: 0, updated_at: 0 }, {
    id: 0, event: 'run_failed', channel_id: ch.id, channel: 'Ops hook', enabled: true,
    min_interval_seconds: 3600, recovery: true, created_at: 0, updated_at: 0 });
  assertError(await admin.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: ch.id }), 409, 'conflict');
  check('GET', '/api/v1/alerts/rules', await admin.get('/api/v1/alerts/rules'));

  const srcFolder = path.join(folder, 'acd-in');
  const src = await admin.post('/api/v1/sources', {
    name: 'ACD Nord', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: srcFolder }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assertStatus(src, 201);
  const fired = () => hook.received.filter((r) => r.json && r.json.event === 'run_failed');
  hook.received.length = 0;
  const run = async () => {
    const r = await admin.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-24' });
    assertStatus(r, 202);
    return waitFor(async () => {
      const g = await admin.get(`/api/v1/runs/${r.body.id}`);
      return ['done', 'failed'].includes(g.body.state) ? g.body : null;
    }, 'the run');
  };
  const first = await run();
  assert.equal(first.state, 'failed');
  await waitFor(() => fired().length === 1, 'the first notice');
  const n1 = fired()[0].json;
  assert.equal(n1.state, 'firing');
  assert.equal(n1.subject, 'ACD Nord');
  assert.equal(n1.title, `Run ${first.id} of source 'ACD Nord' failed`);
  assert.match(n1.message, /not found/);
  assert.equal(n1.suppressed, 0);

  const second = await run();
  assert.equal(second.state, 'failed');
  // the folder appears: the next run works and the condition clears
  fs.mkdirSync(srcFolder);
  const third = await run();
  assert.equal(third.state, 'done', JSON.stringify(third));
  await waitFor(() => fired().length === 2, 'the recovery notice');
  const n2 = fired()[1].json;
  assert.equal(n2.state, 'resolved');
  assert.equal(n2.subject, 'ACD Nord');
  assert.equal(n2.title, "Resolved: run_failed 'ACD Nord'");
  assert.equal(n2.suppressed, 1, 'the second failure was held back by the minimum interval');
  assert.equal(fired().filter((r) => r.json.state === 'firing').length, 1, 'one notice for two failures');
  const sent = (await notices(`?channel_id=${ch.id}`)).filter((x) => x.event === 'run_failed');
  assert.deepEqual(sent.map((x) => [x.state, x.outcome]), [['resolved', 'sent'], ['firing', 'sent']]);

  // a rule of interval 0 notices every failure
  const r0 = await admin.patch(`/api/v1/alerts/rules/${rule.body.id}`, { min_interval_seconds: 0 });
  check('PATCH', '/api/v1/alerts/rules/{id}', r0);
  fs.rmdirSync(srcFolder);
  await run();
  await waitFor(() => fired().length === 3, 'a notice with interval 0');
  await run();
  await waitFor(() => fired().length === 4, 'another notice with interval 0');
  assertStatus(await admin.patch(`/api/v1/alerts/rules/${rule.body.id}`, { enabled: false }), 200);
});

test('config export carries channels and rules without secrets; apply recreates them', async () => {
  const exp = await admin.get('/api/v1/config');
  assertStatus(exp, 200);
  assert.deepEqual(specViolations(exp), []);
  const text = JSON.stringify(exp.body);
  assert.ok(!text.includes('hook-token-1') && !text.includes('secret_set') && !text.includes('last_error'), text);
  const hookDoc = exp.body.alert_channels.find((c) => c.name === 'Ops hook');
  assert.deepEqual(Object.keys(hookDoc).sort(), ['enabled', 'kind', 'name', 'settings']);
  const ruleDoc = exp.body.alert_rules.find((r) => r.event === 'run_failed');
  assert.deepEqual(ruleDoc, { event: 'run_failed', channel: 'Ops hook', enabled: false, min_interval_seconds: 0, recovery: true });

  const other = await startWithAdmin();
  try {
    const doc = { acdlink_config: 1, alert_channels: exp.body.alert_channels, alert_rules: exp.body.alert_rules };
    const plan = await other.admin.post('/api/v1/config/apply', { config: doc, dry_run: true });
    assertStatus(plan, 200);
    assert.deepEqual(plan.body.changes.map((c) => `${c.kind} ${c.action}`).sort(),
      ['alert_channels create', 'alert_rules create']);
    assertStatus(await other.admin.post('/api/v1/config/apply', { config: doc }), 200);
    const again = await other.admin.post('/api/v1/config/apply', { config: doc });
    assert.deepEqual(again.body.changes, []);
    const rules = (await other.admin.get('/api/v1/alerts/rules')).body.items;
    assert.equal(rules.length, 1);
    assert.equal(rules[0].channel, 'Ops hook');
  } finally {
    await other.d.stop();
  }
});

test('a channel\'s language: notices in German at the webhook (a failed run with its coded error) and in French by e-mail', async () => {
  const base = { kind: 'webhook', settings: { url: hook.url('/de'), ca_file: pki.caFile } };
  assertInvalidField(await admin.post('/api/v1/alerts/channels', { ...base, name: 'Haken nl', settings: { ...base.settings, language: 'nl' } }), 'settings.language');
  const c = await admin.post('/api/v1/alerts/channels', { ...base, name: 'Haken', settings: { ...base.settings, language: 'de' } });
  assertStatus(c, 201);
  assert.equal(c.body.settings.language, 'de');
  const de = translator('de');
  const atDe = () => hook.received.filter((r) => r.path === '/de').map((r) => r.json);
  hook.received.length = 0;
  assert.equal((await sendTest(c.body.id)).ok, true);
  const t = atDe()[0];
  // the daemon's wording is the console's: the same dictionaries, the same parameters
  assert.equal(t.title, messageText(de, { code: 'alert.test', params: { channel: 'Haken' } }, 'de'));
  assert.equal(t.message, messageText(de, { code: 'alert.msg_test', params: { who: 'root' } }, 'de'));
  assert.notEqual(t.title, "Test notice for channel 'Haken'");

  // a failed run: its title and the run's coded error inside the message, in German
  assertStatus(await admin.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: c.body.id, min_interval_seconds: 0 }), 201);
  const src = await admin.post('/api/v1/sources', {
    name: 'ACD Süd', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: path.join(folder, 'acd-sued') }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assertStatus(src, 201);
  const r = await admin.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(r, 202);
  const run = await waitFor(async () => {
    const g = await admin.get(`/api/v1/runs/${r.body.id}`);
    return ['done', 'failed'].includes(g.body.state) ? g.body : null;
  }, 'the run');
  assert.equal(run.state, 'failed');
  assert.ok(run.error_code, JSON.stringify(run));
  await waitFor(() => atDe().some((n) => n.event === 'run_failed' && n.subject === 'ACD Süd'), 'the German notice');
  const n = atDe().find((x) => x.event === 'run_failed' && x.subject === 'ACD Süd');
  assert.equal(n.title, messageText(de, { code: 'alert.run_failed', params: { id: run.id, source: 'ACD Süd' } }, 'de'));
  assert.equal(n.message, messageText(de, {
    code: 'alert.msg_run_failed', params: { error: run.error, error_code: run.error_code, error_params: run.error_params },
  }, 'de'));
  for (const english of ['of source', 'failed', 'See the run', run.error]) {
    assert.ok(!n.title.includes(english) && !n.message.includes(english), `"${english}" in ${n.title} / ${n.message}`);
  }
  assertStatus(await admin.patch(`/api/v1/alerts/channels/${c.body.id}`, { enabled: false }), 200);

  // e-mail in French: subject, text and the labels of the notice, with French typography
  const smtp = await startSmtp('starttls', 'alerts@example.com', 'right-password');
  try {
    const m = await admin.post('/api/v1/alerts/channels', {
      name: 'Courriel', kind: 'email', secret: 'right-password',
      settings: { host: 'localhost', port: smtp.port, security: 'starttls', from: 'acdlink@example.com',
        to: ['ops@example.com'], user: 'alerts@example.com', ca_file: pki.caFile, language: 'fr' },
    });
    assertStatus(m, 201);
    assert.equal((await sendTest(m.body.id)).ok, true);
    await waitFor(() => smtp.messages.length === 1, 'the message at the SMTP server');
    const [, body] = smtp.messages[0].data.split(/\r?\n\r?\n/, 2);
    const fr = translator('fr');
    const text = smtp.messages[0].data.slice(smtp.messages[0].data.indexOf(body));
    assert.ok(text.startsWith(messageText(fr, { code: 'alert.test', params: { channel: 'Courriel' } }, 'fr')), text);
    assert.ok(text.includes(messageText(fr, { code: 'alert.msg_test', params: { who: 'root' } }, 'fr')), text);
    assert.ok(text.includes(fr('notice.subject', { subject: 'Courriel' })), text);
    assert.match(text, /Objet\u00A0: Courriel/);
    for (const english of ['Test notice', 'asked for this test', 'Event:', 'Subject:', 'At:']) {
      assert.ok(!text.includes(english), `"${english}" in ${text}`);
    }
    assertStatus(await admin.delete(`/api/v1/alerts/channels/${m.body.id}`), 204);
  } finally {
    await smtp.stop();
  }
});

// A mail server that quotes what it was sent when it refuses the login (the base64 of AUTH
// PLAIN or LOGIN, or the password itself): the failure is shown beside the channel and in
// health, so the password is never in it, in any of its forms.
test('a mail server that echoes the login in its refusal: the password is not shown', async () => {
  const tls = await import('node:tls');
  const password = 'echo-smtp-canary-pw';
  const seen = [];
  const server = tls.createServer({ key: pki.key, cert: pki.cert }, (sock) => {
    let buf = '';
    let loginStep = 0;
    sock.write('220 echo ESMTP\r\n');
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.push(line);
        if (/^EHLO/i.test(line)) {
          sock.write('250-echo\r\n250 AUTH PLAIN LOGIN\r\n');
        } else if (/^AUTH PLAIN /i.test(line)) {
          const b = line.slice(11);
          const clear = Buffer.from(b, 'base64').toString('latin1').split('\0')[2];
          sock.write(`535 5.7.8 refused ${b} (password ${clear})\r\n`);
        } else if (/^AUTH LOGIN/i.test(line)) {
          loginStep = 1;
          sock.write('334 VXNlcm5hbWU6\r\n');
        } else if (loginStep === 1) {
          loginStep = 2;
          sock.write('334 UGFzc3dvcmQ6\r\n');
        } else if (loginStep === 2) {
          loginStep = 0;
          sock.write(`535 5.7.8 refused ${line} (password ${Buffer.from(line, 'base64').toString('latin1')})\r\n`);
        } else {
          sock.write('221 bye\r\n');
          sock.end();
        }
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    for (const auth of ['plain', 'login']) {
      const c = await admin.post('/api/v1/alerts/channels', { name: `Echo ${auth}`, kind: 'email', secret: password,
        settings: { host: 'localhost', port: server.address().port, security: 'tls', auth, from: 'a@example.com',
          to: ['b@example.com'], user: 'alerts@example.com', ca_file: pki.caFile, timeout_seconds: 5 } });
      assertStatus(c, 201);
      const bad = await sendTest(c.body.id);
      assert.equal(bad.ok, false, JSON.stringify(bad));
      assert.match(bad.message, /refused the user name or password \(535/, JSON.stringify(bad));
      const forms = [password, Buffer.from(password).toString('base64'),
        Buffer.from(`\0alerts@example.com\0${password}`).toString('base64')];
      const shown = [JSON.stringify(bad), JSON.stringify((await admin.get(`/api/v1/alerts/channels/${c.body.id}`)).body),
        JSON.stringify((await admin.get('/api/v1/health')).body), JSON.stringify((await admin.get('/api/v1/alerts/notices')).body)].join('\n');
      for (const f of forms) {
        assert.ok(!shown.includes(f), `${auth}: ${f} shown in ${shown}`);
      }
      assert.match(shown, /refused \*\*\* \(password \*\*\*\)/, shown);
      assertStatus(await admin.delete(`/api/v1/alerts/channels/${c.body.id}`), 204);
    }
    assert.ok(seen.some((l) => /^AUTH PLAIN /.test(l)), seen.join('\n'));
  } finally {
    server.close();
  }
});
