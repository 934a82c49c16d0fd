// The daemon's texts beyond the run log carry message codes beside their English words, and
// every language has a text for each code: delivery errors (a batch's last_error_code and
// last_error_params, the same per attempt; the WFM refusing the data with its own message
// quoted, a refused connection, a missing export folder), alert notices and the 422 answers of
// settings saved with errors. Worded in English from its code a message is the daemon's text;
// worded in German or French it holds none of the English sentence.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { ROOT, SAMPLE_SOURCE, assertStatus, createUser, show, startWithAdmin } from '../lib/api.mjs';
import { REPO_ROOT, client, login } from '../lib/daemon.mjs';
import { contactPipeline, line, runDays, waitFor, writeCsv } from '../lib/pipeline.mjs';
import { closedPort, startWfm } from '../lib/wfm.mjs';

const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}
const { messageText, translator } = await import(pathToFileURL(path.join(i18nDir, 'index.js')).href);

let d;
let admin;
let folder;
let wfm;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-coded-'));
  wfm = await startWfm();
});

after(async () => {
  if (d) {
    await d.stop();
  }
  if (wfm) {
    await wfm.close();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

/** Every code of a message and of its parameters' NAME_code. */
function codesOf(item, out = []) {
  if (item.code) {
    out.push(item.code);
  }
  for (const [name, v] of Object.entries(item.params || {})) {
    if (name.endsWith('_code') && typeof v === 'string') {
      codesOf({ code: v, params: item.params[`${name.slice(0, -5)}_params`] || {} }, out);
    }
  }
  return out;
}

/** item ({code, params, message}) is worded in every language, in English as the daemon said
 * it (when exact), in German and French without the daemon's English sentence. */
function wordedEverywhere(item, { exact = true, english = [] } = {}) {
  assert.ok(item.code, `no code: ${JSON.stringify(item)}`);
  for (const code of codesOf(item)) {
    for (const lang of ['en', 'de', 'fr']) {
      assert.ok(`msg.${code}` in dict[lang], `${lang}: no text for ${code}`);
    }
  }
  if (exact) {
    assert.equal(messageText(translator('en'), item, 'en'), item.message);
  }
  for (const lang of ['de', 'fr']) {
    const text = messageText(translator(lang), item, lang);
    assert.notEqual(text, item.message, `${lang}: ${text}`);
    for (const e of english) {
      assert.ok(!text.includes(e), `${lang}: "${e}" in ${text}`);
    }
  }
}

test('delivery errors carry codes: the WFM refusing data, a refused connection, a missing folder', async () => {
  const acd = path.join(folder, 'acd');
  fs.mkdirSync(acd);
  const { source } = await contactPipeline(admin, acd, ['301']);
  const port = await closedPort();
  const made = {};
  for (const [name, body] of [
    ['refusing', { connector: 'injixo-api', secret: 'wfm-key-1', settings: { integration_configuration_id: 4711, base_url: wfm.baseUrl, ca_file: wfm.pki.caFile } }],
    ['closed', { connector: 'injixo-api', secret: 'wfm-key-1', settings: { integration_configuration_id: 4711, base_url: `https://127.0.0.1:${port}` } }],
    ['nofolder', { connector: 'csv-export', settings: { folder: path.join(folder, 'out-missing') } }],
  ]) {
    const r = await admin.post('/api/v1/targets', { name, ...body });
    assertStatus(r, 201);
    made[name] = r.body.id;
  }
  wfm.fail('400');
  writeCsv(acd, 'a.csv', [line('301', '2026-11-24', '08:00', 5, 4, 100)]);
  assert.equal((await runDays(admin, source.id, '2026-11-24')).state, 'done');

  const batchOf = async (id) => (await admin.get(`/api/v1/deliveries?target_id=${id}`)).body.items.find((b) => b.last_error);
  let b;
  await waitFor(async () => (b = await batchOf(made.refusing)) && b.state === 'failed', 'the refused batch fails');
  assert.equal(b.last_error_code, 'delivery.refused_said', show({ body: b }));
  assert.deepEqual(b.last_error_params, { status: 400, detail: 'rejected on purpose' });
  assert.match(b.last_error, /^the server answered 400: the WFM refused the data\. The WFM says: “rejected on purpose”$/);
  wordedEverywhere({ code: b.last_error_code, params: b.last_error_params, message: b.last_error },
    { english: ['the WFM refused the data', 'The WFM says'] });
  assert.match(messageText(translator('de'), { code: b.last_error_code, params: b.last_error_params }, 'de'), /„rejected on purpose“/);
  const detail = (await admin.get(`/api/v1/deliveries/${b.id}`)).body;
  const at = detail.attempt_log[0];
  assert.equal(at.error_code, 'delivery.refused_said', show({ body: detail }));
  assert.deepEqual(at.error_params, b.last_error_params);

  await waitFor(async () => (b = await batchOf(made.closed)), 'the closed port is tried');
  assert.equal(b.last_error_code, 'conn.tcp', show({ body: b }));
  assert.equal(b.last_error_params.detail_code, 'net.connect_failed');
  wordedEverywhere({ code: b.last_error_code, params: b.last_error_params, message: b.last_error },
    { exact: false, english: ['Check the port'] });

  await waitFor(async () => (b = await batchOf(made.nofolder)), 'the missing folder is tried');
  assert.equal(b.last_error_code, 'conn.file', show({ body: b }));
  assert.equal(b.last_error_params.detail_code, 'export.folder_missing');
  wordedEverywhere({ code: b.last_error_code, params: b.last_error_params, message: b.last_error },
    { english: ['is missing', 'create it'] });

  // the overview and health name the failing delivery with its code too
  const o = (await admin.get('/api/v1/overview')).body;
  const t = o.targets.find((x) => x.id === made.closed);
  assert.equal(t.last_error.code, 'conn.tcp', show({ body: t }));
  const h = (await admin.get('/api/v1/health')).body;
  const p = h.problems.find((x) => x.code === 'health.targets_failing');
  assert.ok(p && p.params.detail_code, show({ body: h }));
});

test('SQLite\'s own errors in derived fields are a quoted detail of a coded message', async () => {
  const acd = path.join(folder, 'expr');
  fs.mkdirSync(acd);
  fs.writeFileSync(path.join(acd, 'e.csv'), 'Split;Date;Time;Offered\n401;24.11.2026;08:00;5\n');
  const src = await admin.post('/api/v1/sources', {
    name: 'Expr', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder: acd, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      derived: [{ name: 'big', expression: 'abs(-9223372036854775807 - (Offered - 4))' }],
      metrics: { offered: 'Offered' },
    },
  });
  assertStatus(src, 201);
  const run = await runDays(admin, src.body.id, '2026-11-24');
  const log = (await admin.get(`/api/v1/runs/${run.id}/log?limit=100`)).body.items;
  const l = log.find((x) => x.params?.reason_code === 'row.derived');
  assert.ok(l, show({ body: log }));
  assert.equal(l.params.reason_params.why_code, 'expr.eval', JSON.stringify(l.params));
  const sqlite = l.params.reason_params.why;
  for (const lang of ['de', 'fr']) {
    const text = messageText(translator(lang), l, lang);
    assert.match(text, new RegExp(`SQLite .*${sqlite}`), text);
  }
});

test('alert notices carry codes: their title and why a channel did not take them', async () => {
  const port = await closedPort();
  const ch = await admin.post('/api/v1/alerts/channels', {
    name: 'Unreachable hook', kind: 'webhook', settings: { url: `https://127.0.0.1:${port}/hook` },
  });
  assertStatus(ch, 201);
  assertStatus(await admin.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: ch.body.id }), 201);
  const src = await admin.post('/api/v1/sources', {
    name: 'Gone ACD', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: path.join(folder, 'gone') }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assertStatus(src, 201);
  const run = await runDays(admin, src.body.id, '2026-11-24');
  assert.equal(run.state, 'failed');
  // the overview (Home) gives the failed run's error with its code, as the reason and the last run
  const ov = (await admin.get('/api/v1/overview')).body.sources.find((x) => x.id === src.body.id);
  assert.equal(ov.last_run.error_code, run.error_code, show({ body: ov }));
  const why = ov.reasons.find((r) => r.code === 'run_failed');
  assert.ok(why && why.detail_code, show({ body: ov }));
  assert.equal(why.detail_code, run.error_code);
  assert.deepEqual(why.detail_params, run.error_params);
  wordedEverywhere({ code: why.detail_code, params: why.detail_params, message: why.detail },
    { english: ['does not exist', 'not found', 'cannot'] });
  let n;
  await waitFor(async () => {
    n = (await admin.get('/api/v1/alerts/notices')).body.items.find((x) => x.event === 'run_failed');
    return n;
  }, 'the notice of the failed run');
  assert.equal(n.outcome, 'failed');
  assert.equal(n.title_code, 'alert.run_failed', show({ body: n }));
  assert.deepEqual(n.title_params, { id: run.id, source: 'Gone ACD' });
  wordedEverywhere({ code: n.title_code, params: n.title_params, message: n.title }, { english: ['of source', 'failed'] });
  assert.equal(n.error_code, 'alert.webhook_unreached', show({ body: n }));
  assert.equal(n.error_params.detail_code, 'net.connect_failed');
  wordedEverywhere({ code: n.error_code, params: n.error_params, message: n.error },
    { exact: false, english: ['the webhook was not reached'] });
  const c = (await admin.get(`/api/v1/alerts/channels/${ch.body.id}`)).body;
  assert.equal(c.last_error_code, 'alert.webhook_unreached', show({ body: c }));
  // health quotes the channel's error from its code, so the problem is worded everywhere
  const h = (await admin.get('/api/v1/health')).body.problems.find((p) => p.check === 'alerts');
  assert.equal(h.params.detail_code, 'alert.webhook_unreached', show({ body: h }));
  wordedEverywhere({ code: h.code, params: h.params, message: h.message },
    { exact: false, english: ['the webhook was not reached', 'fail to deliver', 'connecting to'] });
});

test('settings saved with errors: every 422 names its field as sent and carries a code', async () => {
  const acd = path.join(folder, 'bad');
  fs.mkdirSync(acd, { recursive: true });
  const source = (settings) => admin.post('/api/v1/sources', {
    name: 'Bad', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder: acd, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
      ...settings,
    },
  });
  const good = await source({});
  assertStatus(good, 201);
  const cases = [
    ['csv.separator', 'val.separator', await source({ csv: { folder: acd, separator: ';;' } })],
    ['csv.date_order', 'val.date_order', await source({ csv: { folder: acd, date_order: 'dym' } })],
    ['columns.time', 'val.time_with_date', await source({ columns: { queue: 'Split', date: 'Date' } })],
    ['csv.encodings', 'val.unknown_setting', await source({ csv: { folder: acd, encodings: 'x' } })],
    ['derived[0]', 'expr.sqlite', await source({ derived: [{ name: 'x', expression: 'Offered +* 2' }] })],
    ['interval_minutes', 'val.interval_15_30_60', await admin.post('/api/v1/sources', { name: 'X', kind: 'csv', time_zone: 'UTC', interval_minutes: 20, settings: {} })],
    ['time_zone', 'val.unknown_zone', await admin.post('/api/v1/sources', { name: 'X', kind: 'csv', time_zone: 'Mars/Olympus', settings: {} })],
    ['every_minutes', 'val.every_minutes', await admin.post('/api/v1/schedules', { source_id: good.body.id, kind: 'every', every_minutes: 2 })],
    ['unit', 'val.not_unit', await admin.post('/api/v1/value-types', { key: 'talk_x', name: 'Talk X', unit: 'parsecs', combine: 'sum' })],
    ['csv.folder', 'roots.outside', await source({ csv: { folder: '/etc', pattern: 'passwd' } })],
    ['csv.archive_folder', 'roots.in_data', await source({ csv: { folder: acd, after_import: 'move', archive_folder: d.dataDir } })],
    ['timeout_seconds', 'val.range', await admin.post('/api/v1/targets', { name: 'T', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x', timeout_seconds: 999 } })],
    ['agent_days', 'val.agent_days', await admin.post('/api/v1/targets', { name: 'T', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x', agent_days: 'parts' } })],
  ];
  for (const [field, code, res] of cases) {
    assert.equal(res.status, 422, `${field}: ${show(res)}`);
    const e = res.body.error;
    assert.equal(e.message_code, 'val.field', `${field}: ${show(res)}`);
    assert.ok(e.params.field === field || e.params.field === `settings.${field}`, show(res));
    assert.ok(e.message.startsWith(`${e.params.field}: `), e.message);
    assert.equal(e.params.why_code, code, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message },
      { exact: code !== 'expr.sqlite', english: code === 'expr.sqlite' ? [] : [e.params.why] });
    for (const lang of ['de', 'fr']) {
      assert.ok(messageText(translator(lang), { code: e.message_code, params: e.params }, lang).startsWith(e.params.field),
        `${lang}: the field stays as it is sent`);
    }
    if (code.startsWith('roots.')) {
      // the refused folder and the allowed roots are parameters, kept as they are in every language
      assert.equal(e.params.why_params.setting, 'import_roots');
      for (const lang of ['de', 'fr']) {
        const text = messageText(translator(lang), { code: e.message_code, params: e.params }, lang);
        assert.ok(text.includes(e.params.why_params.roots) && text.includes('(import_roots)'), text);
        assert.ok(text.includes(e.params.why_params.folder_params.folder), text);
        for (const w of ['allowed', 'whoever', 'never', 'outside']) {
          assert.ok(!text.includes(w), `${lang}: "${w}" in ${text}`);
        }
      }
    }
  }
});

test('the hints of error answers carry codes: worded in every language, the English hint as it was', async () => {
  const cases = [
    ['use 15, 30 or 60', 'hint.use_15_30_60', await admin.post('/api/v1/sources', { name: 'X', kind: 'csv', time_zone: 'UTC', interval_minutes: 20, settings: {} })],
    ['check the id; list the collection to find it', 'hint.check_id_list_collection_find', await admin.get('/api/v1/sources/987654')],
    ['use admin, operator or viewer', 'hint.use_admin_operator_viewer', await admin.post('/api/v1/users', { name: 'hinted', role: 'boss', password: 'a long enough password 1' })],
  ];
  for (const [hint, code, res] of cases) {
    const e = res.body.error;
    assert.ok(res.status >= 400, show(res));
    assert.equal(e.hint, hint, show(res));
    assert.equal(e.hint_code, code, show(res));
    wordedEverywhere({ code: e.hint_code, params: e.hint_params || {}, message: e.hint }, { english: [hint] });
  }
});

test('answers of the router, logins, lookups and conflicts carry codes of their messages and hints', async () => {
  const anon = client(d);
  await createUser(admin, 'coded-viewer', 'viewer', 'coded viewer password 1');
  const viewer = await login(d, 'coded-viewer', 'coded viewer password 1');
  const source = await admin.post('/api/v1/sources', SAMPLE_SOURCE('coded-src'));
  assertStatus(source, 201);
  const queue = await admin.post('/api/v1/queues', { identifier: 'coded-q', name: 'Coded', time_zone: 'Europe/Berlin', interval_minutes: 15 });
  assertStatus(queue, 201);
  assertStatus(await admin.post('/api/v1/mappings', {
    queue_id: queue.body.id, value_type: 'offered', inputs: [{ source_id: source.body.id, ext_queue: 'q1', metric: 'offered' }],
  }), 201);
  const cases = [
    [404, 'val.not_found', { what: 'source' }, await admin.get('/api/v1/sources/987654'), ['not found']],
    [401, 'val.auth_required', {}, await anon.get('/api/v1/sources'), ['authentication required']],
    [401, 'val.wrong_login', {}, await anon.post('/api/v1/auth/login', { username: ROOT.name, password: 'not the password at all' }), ['wrong user name']],
    [400, 'val.param_invalid', { name: 'limit' }, await admin.get('/api/v1/sources?limit=0'), ['is invalid']],
    [409, 'val.source_exists', { name: 'coded-src' }, await admin.post('/api/v1/sources', SAMPLE_SOURCE('coded-src')), ['exists already']],
    [403, 'val.role_needed', { need_role: 'admin', your_role: 'viewer' }, await viewer.get('/api/v1/users'), ['role; you have', 'viewer'], { exact: false }],
    [422, 'val.field', { field: 'csv.folder' }, await admin.post('/api/v1/sources', {
      ...SAMPLE_SOURCE('coded-relative'),
      settings: { ...SAMPLE_SOURCE('x').settings, csv: { folder: 'exports/acd', separator: ';' } },
    }), ['must be an absolute path'], { why_code: 'val.path_absolute' }],
    [422, 'val.field', { field: 'csv.folder' }, await admin.post('/api/v1/sources', {
      ...SAMPLE_SOURCE('coded-dots'),
      settings: { ...SAMPLE_SOURCE('x').settings, csv: { folder: `${folder}/../etc`, separator: ';' } },
    }), ['must not contain'], { why_code: 'val.path_dotdot' }],
    [422, 'val.field', {}, await admin.post('/api/v1/targets', {
      name: 'coded-export', connector: 'csv-export', settings: { folder: `${folder}/../export` },
    }), ['must not contain'], { why_code: 'roots.path' }],
    [422, 'val.field', { field: 'settings.columns.end' }, await admin.post('/api/v1/sources', {
      name: 'coded-states', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
      settings: {
        csv: { folder }, columns: { agent: 'agent', activity: 'state', start: 'start', end: 'end', duration: 'secs' },
        agent_states: { span: 'start_duration' },
      },
    }), ['belongs to the start_end span form'], { why_code: 'val.end_belongs' }],
    [409, 'delete.source_referenced', { name: 'coded-src' }, await admin.delete(`/api/v1/sources/${source.body.id}`), ['is read by'], { exact: false }],
  ];
  for (const [status, code, params, res, english, opts = {}] of cases) {
    assert.equal(res.status, status, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, code, show(res));
    for (const [k, v] of Object.entries(params)) {
      assert.equal(e.params[k], v, show(res));
    }
    if (opts.why_code) {
      assert.equal(e.params.why_code, opts.why_code, show(res));
    }
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english, exact: opts.exact });
    if (e.hint) {
      assert.ok(e.hint_code, `a hint without a code: ${show(res)}`);
      wordedEverywhere({ code: e.hint_code, params: {}, message: e.hint }, { english: [e.hint] });
    }
  }
});

test('refused names, keys and passwords carry codes of their reasons', async () => {
  const cases = [
    ['password', 'val.password_short', 'must be at least 12 characters long', await admin.post('/api/v1/users', { name: 'coded', role: 'viewer', password: 'short' })],
    ['name', 'val.user_name_chars', 'may contain only letters', await admin.post('/api/v1/users', { name: 'bad name!', role: 'viewer', password: 'a long enough password 1' })],
    ['key', 'val.key_chars', 'may contain only a-z', await admin.post('/api/v1/value-types', { key: 'Bad-Key', name: 'Bad', unit: 'count', combine: 'sum' })],
  ];
  for (const [field, code, english, res] of cases) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, 'val.field', show(res));
    assert.equal(e.params.field, field, show(res));
    assert.equal(e.params.why_code, code, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: [english] });
  }
});

test('a csv-export target\'s refused date and time formats carry the codes of their reasons', async () => {
  const target = (settings) => admin.post('/api/v1/targets', {
    name: 'Export', connector: 'csv-export', settings: { folder: path.join(folder, 'export'), ...settings },
  });
  const cases = [
    ['date_format', 'fmt.export_date_only', 'must hold a date only', await target({ date_format: 'dd/mm/yyyy HH:MM' })],
    ['time_format', 'fmt.unknown_token', "unknown token 'Q'", await target({ time_format: 'HH:Q' })],
    ['agent_date_format', 'fmt.twice', 'appears twice', await target({ agent_date_format: 'yyyy-mm-dd-dd' })],
  ];
  for (const [field, code, english, res] of cases) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, 'val.field', show(res));
    assert.ok(e.params.field === field || e.params.field === `settings.${field}`, show(res));
    assert.equal(e.params.why_code, 'fmt.export_example', show(res));
    assert.equal(e.params.why_params.why_code, code, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: [english, '(e.g.'] });
  }
});

test('refused CA certificates and e-mail addresses carry the codes of their reasons', async () => {
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from('not a certificate at all').toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const cases = [
    ['ca_pem', 'val.ca_no_pem', 'holds no PEM certificate', await admin.post('/api/v1/targets', { name: 'T', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x', ca_pem: 'not a certificate' } })],
    ['ca_pem', 'val.ca_not_cert', 'give only the CA', await admin.post('/api/v1/targets', { name: 'T', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x', ca_pem: key } })],
    ['to[0]', 'val.email_bare', 'without spaces', await admin.post('/api/v1/alerts/channels', {
      name: 'Mail', kind: 'email', settings: { host: 'localhost', port: 25, security: 'starttls', from: 'acdlink@example.com', to: ['Ops <ops@example.com>'] },
    })],
  ];
  for (const [field, code, english, res] of cases) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, 'val.field', show(res));
    assert.ok(e.params.field === field || e.params.field === `settings.${field}`, show(res));
    assert.equal(e.params.why_code, code, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: [english] });
  }
});

test('a refused list of agent ids names its line with a code', async () => {
  const res = await admin.post('/api/v1/agent-ids', { source_id: 1, text: 'a1;anna@example.com\nno separator here\n' });
  assert.equal(res.status, 422, show(res));
  const e = res.body.error;
  assert.equal(e.params.field, 'text', show(res));
  assert.equal(e.params.why_code, 'val.pairs_no_separator', show(res));
  assert.equal(e.params.why_params.line, '2', show(res));
  wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: ['has no separator'] });
  assert.ok(e.hint_code, show(res));
  wordedEverywhere({ code: e.hint_code, params: {}, message: e.hint }, { english: ['write one pair per line'] });
});

test('a csv-export target\'s refused columns and a token\'s refused lifetime carry codes', async () => {
  const cases = [
    ['columns[0]', 'val.export_column', 'needs header', await admin.post('/api/v1/targets', {
      name: 'Export', connector: 'csv-export', settings: { folder: path.join(folder, 'export'), columns: [{ header: 'Queue' }] },
    })],
    ['expires_in_days', 'val.one_to_max', 'must be 1 to', await admin.post('/api/v1/tokens', { name: 'coded', role: 'viewer', expires_in_days: 0 })],
  ];
  for (const [field, code, english, res] of cases) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.ok(e.params.field === field || e.params.field === `settings.${field}`, show(res));
    assert.equal(e.params.why_code, code, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: [english] });
  }
});

test('a schedule setting of the other kind is refused with a code', async () => {
  const src = (await admin.get('/api/v1/sources')).body.items[0];
  const res = await admin.post('/api/v1/schedules', { source_id: src.id, kind: 'every', every_minutes: 15, daily_at: '06:00' });
  assert.equal(res.status, 422, show(res));
  const e = res.body.error;
  assert.equal(e.params.field, 'daily_at', show(res));
  assert.equal(e.params.why_code, 'val.only_daily', show(res));
  wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: ['only daily'] });
  wordedEverywhere({ code: e.hint_code, params: {}, message: e.hint }, { english: ['every schedule'] });
});

test('bodies and settings refused by the JSON parser carry codes with the field and the kind of reason', async () => {
  const cases = [
    ['val.json_missing', { key: 'time_zone' }, await admin.post('/api/v1/sources', { name: 'J', kind: 'csv', settings: {} }), ['Object item']],
    ['val.json_unknown', { n: '2', keys: 'colour, size' }, await admin.post('/api/v1/sources', { name: 'J', kind: 'csv', time_zone: 'UTC', settings: {}, colour: 1, size: 2 }), ['left unpacked']],
    ['val.json_type', { expected: 'string', got: 'integer' }, await admin.post('/api/v1/users', { name: 5, role: 'viewer', password: 'a long enough password 1' }), ['Expected', 'got']],
    ['val.json_type', { expected: 'true or false', got: 'string' }, await admin.post('/api/v1/sources', { name: 'J', kind: 'csv', time_zone: 'UTC', settings: {}, enabled: 'yes' }), ['Expected', 'true or false']],
  ];
  for (const [code, params, res, english] of cases) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, code, show(res));
    assert.deepEqual(e.params, params, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english });
  }
  // a settings object keeps its field: "settings", the connector's keys and jansson's reason
  const nested = [
    ['val.json_webhook', 'val.json_unknown', await admin.post('/api/v1/alerts/channels', {
      name: 'Hook', kind: 'webhook', settings: { url: 'https://127.0.0.1:9/hook', colour: 'red' },
    })],
    ['val.json_email', 'val.json_missing', await admin.post('/api/v1/alerts/channels', {
      name: 'Mail', kind: 'email', settings: { host: 'localhost', to: ['ops@example.com'] },
    })],
    ['val.json_connector', 'val.json_type', await admin.post('/api/v1/targets', {
      name: 'T', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x', timeout_seconds: 'long' },
    })],
  ];
  for (const [code, why, res] of nested) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, 'val.field', show(res));
    assert.equal(e.params.field, 'settings', show(res));
    assert.equal(e.params.why_code, code, show(res));
    assert.equal(e.params.why_params.why_code, why, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english: [' takes ', 'left unpacked', 'not found', 'Expected'] });
  }
  // a body that is no JSON at all: the parser's own words stay a quoted detail
  const raw = await admin.post('/api/v1/sources', undefined, { body: '{"name": }', contentType: 'application/json' });
  const { body } = raw;
  assert.equal(raw.status, 400, show(raw));
  assert.equal(body.error.message_code, 'val.body_json', JSON.stringify(body));
  assert.equal(body.error.params.line, '1');
  wordedEverywhere({ code: body.error.message_code, params: body.error.params, message: body.error.message }, { english: ['is not valid JSON'] });
});

test('a CA file that cannot be read says why with a code: missing, a folder, not a certificate', async () => {
  const dir = path.join(folder, 'ca');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'no certificate here\n');
  const cases = [
    ['roots.file_missing', path.join(dir, 'missing.pem'), ['does not exist']],
    ['roots.file_not_regular', path.join(dir, 'sub'), ['not a regular file']],
    ['roots.file_folder_missing', path.join(dir, 'nowhere', 'ca.pem'), ['its folder does not exist']],
    ['val.ca_file_no_pem', path.join(dir, 'notes.txt'), ['holds no PEM certificate']],
  ];
  fs.mkdirSync(path.join(dir, 'sub'));
  for (const [code, file, english] of cases) {
    for (const res of [
      await admin.post('/api/v1/targets', { name: 'T', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x', ca_file: file } }),
      await admin.post('/api/v1/alerts/channels', { name: 'Hook', kind: 'webhook', settings: { url: 'https://127.0.0.1:9/hook', ca_file: file } }),
    ]) {
      assert.equal(res.status, 422, show(res));
      const e = res.body.error;
      assert.equal(e.message_code, 'val.field', show(res));
      assert.ok(/ca_file$/.test(e.params.field), show(res));
      // a target adds "; or paste the certificate as ca_pem" (a code of its own around the reason)
      const why = e.params.why_code === 'val.ca_file_or_pem' ? e.params.why_params : e.params;
      assert.ok(why.why_code === code || why.why_code === `${code}_pem`, show(res));
      assert.equal(why.why_params.file, file, show(res));
      wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english });
    }
  }
});

test('a failed job (a preview of a source that cannot be read) carries the code of its error', async () => {
  const src = await admin.post('/api/v1/sources', {
    name: 'Gone for preview', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: path.join(folder, 'never-made') }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assertStatus(src, 201);
  const c = await admin.post(`/api/v1/sources/${src.body.id}/preview`, { day: '2026-11-24', rows: 5 });
  assertStatus(c, 202);
  let job;
  await waitFor(async () => {
    job = (await admin.get(`/api/v1/jobs/${c.body.id}`)).body;
    return job.state !== 'running';
  }, 'the preview job ends');
  assert.equal(job.state, 'failed', JSON.stringify(job));
  assert.ok(job.error_code, JSON.stringify(job));
  wordedEverywhere({ code: job.error_code, params: job.error_params, message: job.error },
    { exact: false, english: ['does not exist', 'cannot be read'] });
});

test('the Xlink migration\'s refused files and time zone carry codes', async () => {
  const b64 = (buf) => Buffer.from(buf).toString('base64');
  const binary = Buffer.alloc(64, 0);
  binary.write('[x]\r\n', 0);
  const cases = [
    ['files', 'val.xlink_isps_missing', ['is missing', 'holds the external systems'],
      await admin.post('/api/v1/xlink-imports', { files: [{ name: 'acd_map.ini', content_base64: b64('[ACD]\r\n') }] })],
    ['files', 'val.xlink_utf16_no_bom', ['not a text file', 'looks like UTF-16'],
      await admin.post('/api/v1/xlink-imports', { files: [{ name: 'isps_ul.ini', content_base64: b64(binary) }] })],
    ['time_zone', 'val.xlink_zone', ['is not a time zone known here'],
      await admin.post('/api/v1/xlink-imports', { files: [{ name: 'isps_ul.ini', content_base64: b64('[ISPS]\r\n') }], time_zone: 'Mars/Base' })],
  ];
  for (const [field, code, english, res] of cases) {
    assert.equal(res.status, 422, show(res));
    const e = res.body.error;
    assert.equal(e.message_code, 'val.field', show(res));
    assert.equal(e.params.field, field, show(res));
    assert.equal(e.params.why_code, code, show(res));
    wordedEverywhere({ code: e.message_code, params: e.params, message: e.message }, { english });
  }
});
