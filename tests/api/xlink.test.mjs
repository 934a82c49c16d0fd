// Xlink migration through the API and the command line: the test installation in
// tests/fixtures/xlink (Windows-1252, CRLF, every key family) converted with a report of every
// key, nothing changed by a dry run, things that exist left alone, passwords never taken over,
// and a converted CSV source that imports an Xlink-style export into the mapped WFM queue.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, TEST_ROOT, bearer, runCli } from '../lib/daemon.mjs';
import {
  assertError, assertInvalidField, assertStatus, createToken, show, sleep, startWithAdmin,
} from '../lib/api.mjs';

const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'xlink');
// the cases a migration must get right: agent states only, empty agent keys, a UNC folder, an
// unclosed quote, a missing key, a repeated section, a header with text after ']', a number
// with a note, an average, a vendor interface
const CASES = path.join(FIXTURES, 'cases');

const DICTS = {};

/** The English of a code (a note of the report, or a message of the daemon's own) in language l. */
function dictText(l, code) {
  return DICTS[l][code] ?? DICTS[l][`msg.${code}`];
}

// The daemon's English of a note takes a plural block's other form ("7 columns named"), # as {name}
const otherForm = (s) => s.replace(/\{(\w+), plural,(?: \w+ \{[^{}]*\})*\}/g,
  (block, name) => /other \{([^{}]*)\}/.exec(block)[1].replace(/#/g, `{${name}}`));

/** The English worded from one note's code, every nested note checked to have a text in each
 * language; null when a nested note has no code. */
function worded(c, where) {
  if (!c || !c.code) {
    return null;
  }
  for (const l of ['en', 'de', 'fr']) {
    assert.equal(typeof dictText(l, c.code), 'string', `${l}: no text for ${JSON.stringify(c)} of ${where}`);
  }
  const params = c.params || {};
  let failed = false;
  const text = otherForm(dictText('en', c.code)).replace(/\{(\w+)\}/g, (m, n) => {
    const code = params[`${n}_code`];
    if (typeof code === 'string') {
      const inner = worded({ code, params: params[`${n}_params`] }, where);
      failed ||= inner === null;
      return inner;
    }
    if (n === 'why' && Array.isArray(params.why_codes)) {
      const inner = joinedNotes(params.why_codes, where);
      failed ||= inner === null;
      return inner;
    }
    return params[n];
  });
  return failed ? null : text;
}

/** Notes joined as the daemon joins a line's notes; null when one has no code. */
function joinedNotes(codes, where) {
  const parts = codes.map((c) => ({ text: worded(c, where), note: c.note }));
  if (parts.some((p) => p.text === null)) {
    return null;
  }
  return parts.reduce((a, p, n) => (n === 0 ? p.text : p.note ? `${a} (${p.text})` : `${a}; ${p.text}`), '');
}

/** The details of rep's lines with a note that has no code (nor any note inside it); asserts
 * that every coded line has a text in each language and that its English, worded from the
 * codes, is the note as sent. */
async function uncodedNotes(rep) {
  for (const l of ['en', 'de', 'fr']) {
    DICTS[l] ||= (await import(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${l}.js`))).default;
  }
  const uncoded = [];
  for (const it of rep.items) {
    assert.ok(Array.isArray(it.detail_codes) && it.detail_codes.length > 0, JSON.stringify(it));
    const english = joinedNotes(it.detail_codes, it.detail);
    if (english === null) {
      uncoded.push(it.detail);
      continue;
    }
    assert.equal(english, it.detail);
  }
  return uncoded;
}

/** The to-dos of rep (each block's todo, the report's actions) that have no code; asserts as
 * uncodedNotes does. */
async function uncodedTodos(rep) {
  const todos = rep.sections.flatMap((b) => b.todo.map((t, k) => ({ t, c: (b.todo_codes || [])[k] })));
  assert.equal(rep.actions.length, rep.action_codes.length);
  const all = [...todos, ...rep.actions.map((t, k) => ({ t, c: rep.action_codes[k] }))];
  return uncodedNotes({ items: all.map(({ t, c }) => ({ detail: t, detail_codes: [c || {}] })) });
}

let d;
let admin;
let dir;

function upload(folder, only = null) {
  return fs.readdirSync(folder)
    .filter((name) => (!only || only.includes(name)) && fs.statSync(path.join(folder, name)).isFile())
    .map((name) => ({ name, content_base64: fs.readFileSync(path.join(folder, name)).toString('base64') }));
}

function line(report, file, section, key, status) {
  return report.items.find((i) => i.file === file && (section === null || i.section === section)
    && i.key === key && (!status || i.status === status));
}

async function waitRun(id) {
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const r = await admin.get(`/api/v1/runs/${id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    await sleep(50);
  }
  throw new Error(`run ${id} did not finish`);
}

before(async () => {
  // the migration cases name /srv/dup: /srv is an import root here too
  ({ d, admin } = await startWithAdmin({
    args: ['--login-max-failures', '100', '--import-roots', `${TEST_ROOT};/srv`],
  }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-xlink-'));
});

after(async () => {
  if (d) {
    // a clean exit: under the sanitizer build a memory error or leak would make it fail
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad uploads are refused with the field named, and viewers may not import', async () => {
  assertInvalidField(await admin.post('/api/v1/xlink-imports', { files: [] }), 'files');
  assertInvalidField(await admin.post('/api/v1/xlink-imports', {
    files: [{ name: 'isps_ul.ini', content_base64: 'not base64!' }],
  }), 'files[0].content_base64');
  assertInvalidField(await admin.post('/api/v1/xlink-imports', {
    files: [{ name: '../isps_ul.ini', content_base64: '' }],
  }), 'files[0]');
  const r = await admin.post('/api/v1/xlink-imports', { files: upload(FIXTURES, ['acd_map.ini']) });
  assertInvalidField(r, 'isps_ul.ini is missing');
  assertInvalidField(await admin.post('/api/v1/xlink-imports', { files: upload(FIXTURES), extra: 1 }), 'extra');
  const viewer = await createToken(admin, 'xlink-viewer', 'viewer');
  assertError(await bearer(d, viewer.token).post('/api/v1/xlink-imports', { files: upload(FIXTURES) }),
    403, 'forbidden');
});

test('a dry run reports every key and changes nothing', async () => {
  const r = await admin.post('/api/v1/xlink-imports', {
    files: upload(FIXTURES), dry_run: true, time_zone: 'Europe/Berlin',
  });
  assertStatus(r, 200);
  const rep = r.body;
  assert.equal(rep.dry_run, true);
  const ul = rep.files.find((f) => f.name === 'isps_ul.ini');
  assert.deepEqual([ul.encoding, ul.line_endings], ['windows-1252', 'crlf']);
  // every key of the test installation has its line, with a status and a reason
  const ini = fs.readFileSync(path.join(FIXTURES, 'isps_ul.ini'), 'latin1').split('\r\n');
  ini.forEach((text, i) => {
    if (/^[A-Za-z0-9_ ]+=/.test(text)) {
      const hit = rep.items.find((it) => it.file === 'isps_ul.ini' && it.line === i + 1);
      assert.ok(hit, `isps_ul.ini:${i + 1} '${text}' has no report line`);
      assert.ok(['converted', 'skipped', 'not_convertible'].includes(hit.status));
      assert.ok(hit.detail.length > 5, JSON.stringify(hit));
    }
  });
  // every note of every line has its message code and parameters, known to each dictionary,
  // and the English text worded from them is the note as sent
  assert.deepEqual(await uncodedNotes(rep), []);
  // so has every block's summary
  const summaries = rep.sections.filter((b) => b.summary)
    .map((b) => ({ detail: b.summary, detail_codes: b.summary_codes }));
  assert.ok(summaries.length > 5);
  assert.deepEqual(await uncodedNotes({ items: summaries }), []);
  // and every to-do
  assert.ok(rep.actions.length > 10);
  assert.deepEqual(await uncodedTodos(rep), []);
  assert.equal(line(rep, 'isps_ul.ini', 'CSV Hotline', 'SeparatorCharacter').status, 'converted');
  assert.match(line(rep, 'isps_ul.ini', 'CSV Hotline', 'TimeZone').detail, /Etc\/GMT-2 .*no daylight saving time/);
  assert.match(line(rep, 'isps_ul.ini', 'CSV Hotline', 'Groups').detail, /every queue/);
  // folders of the Xlink server are not folders of this machine (nor inside its allowed import
  // roots): no source, and the to-do says so
  assert.match(line(rep, 'isps_ul.ini', 'CSV Hotline', 'ActivitySource', 'not_convertible').detail,
    /not a folder of this machine/);
  const hotline = rep.sections.find((b) => b.section === 'CSV Hotline');
  assert.equal(hotline.outcome, 'not_converted');
  assert.ok(hotline.sources.every((x) => x.made === false));
  assert.match(hotline.todo.join('\n'), /Windows path/);
  assert.match(line(rep, 'isps_ul.ini', 'Universal ACD', 'LogOffActivities').detail, /start-only/);
  assert.equal(line(rep, 'isps_ul.ini', 'Universal ACD', 'MinimumActivityDuration').status, 'converted');
  assert.match(line(rep, 'isps_ul.ini', 'GENERAL', 'WriteAlways').detail, /write zero values/);
  const pwLine = line(rep, 'isps_ul.ini', 'Universal ACD', 'Password');
  assert.equal(pwLine.status, 'not_convertible');
  assert.equal(pwLine.value, '(not shown)');
  assert.ok(!r.text.includes('hunter2-Canary'), 'a password is in the report');
  assert.ok(!r.text.includes('18A3F09B2C4D5E6F70'), 'the [DB] password is in the report');
  assert.ok(rep.actions.some((a) => a.includes("password of source 'Universal ACD'")), JSON.stringify(rep.actions));
  assert.match(rep.items.find((i) => i.file === 'acd_map.ini' && i.line === 4).detail, /'CSV Hotline' is not made/);
  assert.match(rep.items.find((i) => i.file === 'acd_map.ini' && i.line === 6).detail, /line 4: not made/);
  assert.match(rep.items.find((i) => i.file === 'acd_map.ini' && i.line === 14).detail, /c\.TalkTime/);
  assert.match(rep.items.find((i) => i.file === 'acd_map.ini' && i.line === 15).detail, /line 14: not made/);
  // a vendor interface with a public schema becomes a source with the vendor's preset
  assert.deepEqual(rep.created.sources.sort(), ['Avaya CMS', 'Universal ACD', 'Universal ACD agents']);
  const cms = rep.config.sources.find((s) => s.name === 'Avaya CMS');
  assert.deepEqual([cms.kind, cms.settings.odbc.preset, cms.settings.odbc.dsn, cms.settings.odbc.user],
    ['odbc', 'avaya_cms_hsplit', 'CMS_DSN', 'cms']);
  assert.ok(rep.actions.some((a) => a.includes("password of source 'Avaya CMS'")), JSON.stringify(rep.actions));
  assert.ok(rep.created.mappings.includes('SALES / offered'), JSON.stringify(rep.created));
  assert.equal(rep.summary.converted + rep.summary.skipped + rep.summary.not_convertible, rep.items.length);
  assert.equal((await admin.get('/api/v1/sources')).body.items.length, 0, 'a dry run created sources');
  assert.equal((await admin.get('/api/v1/queues')).body.items.length, 0);
});

test('the import creates sources, queues and mappings once; a converted source imports', async () => {
  // the same installation, with its CSV folder pointing at a real folder of this machine
  const inst = path.join(dir, 'xlink');
  const exportDir = path.join(dir, 'export');
  const agentDir = path.join(dir, 'agents');
  const halfDir = path.join(dir, 'half'); // Windows folders are refused on this machine
  fs.mkdirSync(inst);
  fs.mkdirSync(exportDir);
  fs.mkdirSync(agentDir);
  for (const f of fs.readdirSync(FIXTURES).filter((n) => fs.statSync(path.join(FIXTURES, n)).isFile())) {
    fs.copyFileSync(path.join(FIXTURES, f), path.join(inst, f));
  }
  const ul = fs.readFileSync(path.join(inst, 'isps_ul.ini'), 'latin1')
    .replace('Source=D:\\ACD\\Export', `Source=${exportDir}`)
    .replace('DeleteImportFiles=1', 'DeleteImportFiles=0')
    .replace('ActivitySource=D:\\ACD\\Agents', `ActivitySource=${agentDir}`)
    .replace('Source=E:\\half', `Source=${halfDir}`);
  fs.writeFileSync(path.join(inst, 'isps_ul.ini'), Buffer.from(ul, 'latin1'));
  fs.writeFileSync(path.join(exportDir, 'calls.csv'), Buffer.from([
    'Queue;Date;Time;CallsOffered;CallsHandled;AHT;Wartezeit (s)',
    'SUPPORT_DE;24.11.2026;08:00;12;10;180;20',
    'SUPPORT_DE;24.11.2026;08:15;9;9;200;30',
    'SUPPORT_AT;24.11.2026;08:00;3;3;100;5',
    'Überlauf;24.11.2026;08:00;2;1;90;1',
    '',
  ].join('\r\n'), 'latin1'));

  fs.writeFileSync(path.join(agentDir, 'states.csv'), [
    'Agent;Activity;Start;End',
    '0042;1;24.11.2026 08:00:00;24.11.2026 08:30:00',
    '0042;3;24.11.2026 08:30:00;24.11.2026 09:00:00',
    '',
  ].join('\r\n'));

  const r = await admin.post('/api/v1/xlink-imports', { files: upload(inst), time_zone: 'Europe/Berlin' });
  assertStatus(r, 200);
  assert.equal(r.body.dry_run, false);
  assert.deepEqual(r.body.existing, []);
  const sources = (await admin.get('/api/v1/sources')).body.items;
  const hotline = sources.find((s) => s.name === 'CSV Hotline');
  assert.equal(hotline.time_zone, 'Etc/GMT-2');
  assert.equal(hotline.settings.csv.encoding, 'windows-1252');
  const uni = sources.find((s) => s.name === 'Universal ACD');
  assert.equal(uni.kind, 'odbc');
  assert.equal(uni.password_set, false, 'a password was taken over');
  assert.match(uni.settings.odbc.sql, /FROM CallData c WHERE c\.XlinkDateTime >= :period_start/);
  assert.equal(sources.find((s) => s.name === 'Half Hour').enabled, false);
  const queues = (await admin.get('/api/v1/queues')).body.items.map((q) => q.identifier).sort();
  assert.deepEqual(queues, ['SALES', 'SUP_ALL', 'SUP_DE']);
  const audit = await admin.get('/api/v1/audit?action=xlink.import');
  assert.equal(audit.body.items.length, 1, show(audit));
  assert.equal((await admin.get('/api/v1/audit?action=source.create')).body.items.length, 6);
  const agents = sources.find((s) => s.name === 'CSV Hotline agents');
  assert.equal(agents.product, 'agent_states');
  assert.equal(agents.settings.agent_states.span, 'start_end');

  // importing again leaves everything as it is
  const again = await admin.post('/api/v1/xlink-imports', { files: upload(inst) });
  assertStatus(again, 200);
  assert.deepEqual(again.body.created.sources, []);
  assert.ok(again.body.existing.some((e) => e.kind === 'sources' && e.key === 'CSV Hotline'), show(again));

  // the converted source reads the Xlink-style export; the converted mappings fill the queues
  const run = await admin.post('/api/v1/runs', { source_id: hotline.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(run, 202);
  const done = await waitRun(run.body.id);
  assert.equal(done.state, 'done', JSON.stringify(done));
  assert.equal(done.counts.rows_rejected, 0, JSON.stringify(done));
  const res = async (q, vt) => {
    const x = await admin.get(`/api/v1/results?queue=${q}&from=2026-11-24&to=2026-11-24&value_type=${vt}`);
    assertStatus(x, 200);
    return Object.fromEntries(x.body.items.map((i) => [i.local.slice(11, 16), i.value]));
  };
  assert.deepEqual(await res('SUP_DE', 'offered'), { '08:00': 12, '08:15': 9 });
  assert.deepEqual(await res('SUP_ALL', 'offered'), { '08:00': 15, '08:15': 9 }); // $1.BAS: DE + AT
  assert.deepEqual(await res('SUP_ALL', 'handled'), { '08:00': 11, '08:15': 9 }); // $2.BAS: DE + Überlauf

  // the converted agent-state source reads the agent file: two states of agent 0042
  const arun = await admin.post('/api/v1/runs', { source_id: agents.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(arun, 202);
  const adone = await waitRun(arun.body.id);
  assert.equal(adone.state, 'done', JSON.stringify(adone));
  assert.equal(adone.counts.rows_read, 2, JSON.stringify(adone));
  assert.equal(adone.counts.rows_rejected, 0, JSON.stringify(adone));
  const unknown = await admin.get('/api/v1/unknown-agents');
  assertStatus(unknown, 200);
  assert.ok(JSON.stringify(unknown.body).includes('0042'), show(unknown));
});

test('acdlink import-xlink DIR works beside the daemon, as text or JSON', async () => {
  const r = await runCli(['import-xlink', FIXTURES, '--dry-run', '--data-dir', d.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /read isps_ul\.ini \(windows-1252, crlf line endings\)/);
  assert.match(r.stdout, /isps_ul\.ini:16 \[CSV Hotline\] SeparatorCharacter=3: converted: csv\.separator ';'/);
  assert.match(r.stdout, /exists already, left as it is: sources Universal ACD/);
  assert.match(r.stdout, /\d+ converted, \d+ skipped, \d+ not convertible \(dry run: nothing changed\)/);
  assert.ok(!r.stdout.includes('hunter2'), 'a password on the terminal');
  const j = await runCli(['import-xlink', FIXTURES, '--dry-run', '--json', '--data-dir', d.dataDir]);
  assert.equal(j.code, 0, j.stderr);
  const rep = JSON.parse(j.stdout);
  assert.equal(rep.dry_run, true);
  const missing = await runCli(['import-xlink', path.join(dir, 'nope'), '--data-dir', d.dataDir]);
  assert.equal(missing.code, 2);
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const none = await runCli(['import-xlink', empty, '--data-dir', d.dataDir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /isps_ul\.ini is missing/);
});

/** Every key line of a file of the upload has exactly one report line. */
function assertOneLinePerKey(rep, folder, file) {
  const text = fs.readFileSync(path.join(folder, file), 'latin1').split(/\r?\n/);
  text.forEach((t, i) => {
    if (/^[^;[]*=/.test(t)) {
      const hits = rep.items.filter((it) => it.file === file && it.line === i + 1);
      assert.equal(hits.length, 1, `${file}:${i + 1} '${t}' has ${hits.length} report lines`);
    }
  });
}

function outcomes(rep) {
  return Object.fromEntries(rep.sections.filter((b) => b.file === 'isps_ul.ini' && b.section)
    .map((b) => [`${b.section}@${b.line}`, b.outcome]));
}

test('the report agrees with what is made: one block per section, every key once, to-dos', async () => {
  const before = (await admin.get('/api/v1/sources')).body.items.length;
  const r = await admin.post('/api/v1/xlink-imports', { files: upload(CASES), dry_run: true });
  assertStatus(r, 200);
  const rep = r.body;
  assert.deepEqual(outcomes(rep), {
    'GENERAL@2': 'settings',
    'TimeLink@6': 'created',
    'Calls@20': 'created_disabled',
    'Share@33': 'not_converted',
    'Quote@42': 'created_disabled',
    'NoQueue@49': 'not_converted',
    'Dup@57': 'created',
    'dup@65': 'skipped',
    'Cisco UCCX@68': 'created',
  });
  // blocks in file order, lines in line order, items in the blocks' order
  const order = rep.sections.map((b) => `${b.file}:${b.line || 0}`);
  assert.deepEqual(order.slice(0, 3), ['isps.cfg:1', 'isps_ul.ini:2', 'isps_ul.ini:6']);
  for (const b of rep.sections) {
    const lines = b.lines.map((l) => l.line);
    assert.deepEqual(lines, [...lines].sort((x, y) => x - y), `${b.section} is not in line order`);
  }
  assert.deepEqual(rep.items, rep.sections.flatMap((b) => [...b.lines, ...b.notes]));
  assertOneLinePerKey(rep, CASES, 'isps_ul.ini');
  assertOneLinePerKey(rep, CASES, 'acd_map.ini');
  // every note has a code, also the reasons of a source that could not be made that come from
  // the source's own validation (a UNC folder's mount command, a folder outside the roots); so
  // have the blocks' summaries and every to-do
  assert.deepEqual(await uncodedNotes(rep), []);
  const summaries = rep.sections.filter((b) => b.summary)
    .map((b) => ({ detail: b.summary, detail_codes: b.summary_codes }));
  assert.ok(summaries.some((x) => x.detail.startsWith('no call-data source: ')));
  assert.deepEqual(await uncodedNotes({ items: summaries }), []);
  assert.ok(rep.actions.length >= 5, JSON.stringify(rep.actions));
  assert.deepEqual(await uncodedTodos(rep), []);
  assert.equal(rep.summary.converted + rep.summary.skipped + rep.summary.not_convertible, rep.items.length);
  // what is made is what the blocks say
  assert.deepEqual(rep.created.sources.sort(), ['Calls', 'Cisco UCCX', 'Dup', 'Quote', 'TimeLink agents']);
  assert.equal(rep.config.sources.find((s) => s.name === 'Cisco UCCX').layout, 'contact');
  const src = (name) => rep.config.sources.find((s) => s.name === name);
  assert.equal(src('TimeLink agents').product, 'agent_states');
  assert.equal(src('TimeLink agents').enabled, true);
  assert.equal(src('Calls').enabled, false);
  assert.equal(src('Calls').interval_minutes, 30); // "30 ; half hours"
  assert.doesNotMatch(src('Calls').settings.odbc.sql, /TalkTime/);
  assert.equal(src('Quote').enabled, false);
  assert.equal(src('Dup').interval_minutes, 15); // the repeated [dup] is never read
  const calls = rep.sections.find((b) => b.section === 'Calls');
  assert.equal(calls.sources[0].settings.interval_minutes, 30);
  assert.match(calls.sources[0].settings.odbc.sql, /FROM Calls WHERE Started >= :period_start/);
  assert.match(calls.todo[0], /AVG of 'TalkTime'/);
  assert.ok(!rep.sections.find((b) => b.section === 'Calls').sources.some((s) => s.name === 'Calls agents'));
  // the to-do list: flagged sections, disabled sources, passwords of sources made only
  const todo = rep.actions.join('\n');
  assert.match(todo, /\[Share\].*mount -t cifs \/\/acd01\/exports \/mnt\/xlink\/acd01-exports -o ro,/);
  assert.match(todo, /csv\.folder \/mnt\/xlink\/acd01-exports\/calls/);
  assert.match(todo, /\[Quote\].*before enabling source 'Quote'.*quote/);
  assert.match(todo, /\[NoQueue\].*QueueNameColumn/);
  assert.match(todo, /\[Cisco UCCX\].*cisco_uccx_agent_state_detail/);
  assert.match(todo, /password of source 'TimeLink agents'/);
  assert.doesNotMatch(todo, /password of source 'NoQueue'/);
  assert.ok(!r.text.includes('Canary'), 'a password is in the report');
  // the mappings of the section whose source is not made still have their lines
  const share = rep.items.filter((i) => i.file === 'acd_map.ini' && /Share/.test(i.value));
  assert.equal(share.length, 2);
  share.forEach((i) => assert.equal(i.status, 'not_convertible'));
  assert.match(share[0].detail, /'Share' is not made/);
  const line = (sec, key) => rep.items.find((i) => i.section === sec && i.key === key);
  assert.match(line('Share', 'SeparatorCharacter').detail, /read as 3, as Xlink did/);
  assert.equal(line('Share', 'SeparatorCharacter').status, 'converted');
  assert.equal(line('Share', 'Source').status, 'not_convertible');
  assert.equal(line('NoQueue', 'TimeZone').status, 'converted');
  assert.match(line('NoQueue', 'CallDataTable').detail, /without QueueNameColumn/);
  assert.equal(line('Calls', 'AgentColumn').status, 'skipped');
  assert.match(line('Calls', 'AgentColumn').detail, /no agent-state import/);
  assert.doesNotMatch(JSON.stringify(rep), /the line is ignored[^"]*Dup|vendor \(standard\) interface: read/);
  assert.equal((await admin.get('/api/v1/sources')).body.items.length, before, 'a dry run created sources');
});

test('UTF-16 files are read like the others; empty, binary files and unknown zones are refused', async () => {
  const text = fs.readFileSync(path.join(CASES, 'isps_ul.ini'), 'latin1');
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const files = upload(CASES).filter((f) => f.name !== 'isps_ul.ini');
  const r = await admin.post('/api/v1/xlink-imports', {
    files: [...files, { name: 'isps_ul.ini', content_base64: le.toString('base64') }], dry_run: true,
  });
  assertStatus(r, 200);
  assert.equal(r.body.files.find((f) => f.name === 'isps_ul.ini').encoding, 'utf-16le');
  const plain = await admin.post('/api/v1/xlink-imports', { files: upload(CASES), dry_run: true });
  assert.deepEqual(outcomes(r.body), outcomes(plain.body));
  assert.ok(r.body.config.sources.find((s) => s.name === 'Dup').settings.metrics['Anrufe f_r S_d'] ||
    JSON.stringify(r.body.config).includes('Anrufe'));
  const refuse = async (bytes, part) => {
    const x = await admin.post('/api/v1/xlink-imports', {
      files: [{ name: 'isps_ul.ini', content_base64: Buffer.from(bytes).toString('base64') }],
    });
    assertInvalidField(x, 'isps_ul.ini');
    assert.match(x.body.error.message, part);
  };
  await refuse([], /empty/);
  await refuse([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89], /not a text file/);
  const tz = await admin.post('/api/v1/xlink-imports', { files: upload(CASES), time_zone: 'Mars/Olympus' });
  assertInvalidField(tz, 'time_zone');
});

test('import-xlink: a dry run on a fresh machine shows the configuration; bad input exits non-zero', async () => {
  const fresh = path.join(dir, 'fresh-data');
  const r = await runCli(['import-xlink', CASES, '--dry-run', '--data-dir', fresh]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /no database in .* yet/);
  assert.match(r.stdout, /\nisps_ul\.ini \[Calls\] \(line 20\): created_disabled: contact source 'Calls' disabled/);
  assert.match(r.stdout, /source 'Calls' \(odbc, contacts\): would be created disabled\n {6}time zone UTC, 30-minute intervals\n/);
  assert.match(r.stdout, / {6}SQL: SELECT Queue AS queue, Queue AS queue_name, Started AS interval_start, Offered AS Offered FROM Calls/);
  assert.match(r.stdout, /isps_ul\.ini \[Share\] \(line 33\): not_converted/);
  assert.match(r.stdout, /to do: \[Share\] .*mount -t cifs/);
  assert.ok(!fs.existsSync(path.join(fresh, 'acdlink.db')), 'a dry run wrote a database');
  const tz = await runCli(['import-xlink', CASES, '--dry-run', '--time-zone', 'Mars/Olympus', '--data-dir', fresh]);
  assert.equal(tz.code, 2);
  assert.match(tz.stderr, /time_zone: 'Mars\/Olympus' is not a time zone/);
  const emptyDir = path.join(dir, 'empty-ini');
  fs.mkdirSync(emptyDir);
  fs.writeFileSync(path.join(emptyDir, 'isps_ul.ini'), '');
  const empty = await runCli(['import-xlink', emptyDir, '--dry-run', '--data-dir', fresh]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /isps_ul\.ini: the file is empty/);
});

test('a second import marks the sources of the blocks that exist already', async () => {
  const first = await admin.post('/api/v1/xlink-imports', { files: upload(CASES) });
  assertStatus(first, 200);
  const again = await admin.post('/api/v1/xlink-imports', { files: upload(CASES), dry_run: true });
  assertStatus(again, 200);
  const dup = again.body.sections.find((b) => b.section === 'Dup');
  assert.equal(dup.sources[0].exists, true);
  assert.deepEqual(again.body.created.sources, []);
  const sources = (await admin.get('/api/v1/sources')).body.items;
  assert.equal(sources.find((s) => s.name === 'Calls').enabled, false);
  assert.equal(sources.find((s) => s.name === 'TimeLink agents').enabled, true);
  assert.ok(!sources.some((s) => s.name === 'Calls agents' || s.name === 'Share'));
});
