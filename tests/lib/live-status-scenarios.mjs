// Live-status agent-state sources (settings.live_status) that every database engine must pass
// the same way: the test file of an engine (live-status.test.mjs: PostgreSQL through psqlODBC,
// live-status-mariadb.test.mjs: MariaDB through odbc-mariadb) starts its server once
// (tests/lib/sqldb.mjs) and calls defineLiveStatusScenarios(start).
//
// The settings and their refusals; the presets on their vendors' table layouts (Cisco UCCE
// Agent_Real_Time, a table of Twilio TaskRouter workers); and a writer process updating,
// deleting and inserting agents' rows while the daemon polls two sources of the table every
// second (one with the since column, one without), killed with SIGKILL in the middle: every
// change that stayed in the table for 4 s while the daemon ran is staged once, in order per
// agent, with its since (or the poll that saw it) as its start, and the strict https-json
// receiver ends with exactly that; changes held for 0.15 s may be missed, never doubled.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { assertInvalidField, assertStatus } from './api.mjs';
import { followOf, restartFollowDaemon, startFollowDaemon, stopFollowDaemon } from './follow-daemon.mjs';
import { drained, waitFor } from './pipeline.mjs';
import { loadFixtures } from './sqldb.mjs';

const AGENTS = 8;
// the writer's codes (state, or state:reason) and the WFM activities they map to
const ACTIVITY = { READY: 'ready', TALK: 'talk', ACW: 'acw', 'NR:lunch': 'lunch', 'NR:coffee': 'coffee' };

/**
 * Registers the scenarios; start() resolves with a server of tests/lib/sqldb.mjs. settings:
 * also the settings' refusals (they do not depend on the engine: one engine's file has them).
 */
export function defineLiveStatusScenarios(start, { settings = false } = {}) {
  let db;
  let d;
  let admin;
  let wfm;
  let dataDir;
  let sqlDialect;

  async function restart() {
    ({ d, admin } = await restartFollowDaemon(dataDir));
  }

  const follow = (id) => followOf(admin, id);

  function source(name, liveStatus, { sqlText = 'SELECT agent, state, reason, since FROM agent_status', preset = null, zone = 'UTC', extra = {} } = {}) {
    const odbc = { connection_string: db.connectionString, user: db.user, ...(preset ? { preset } : { sql: sqlText }) };
    return {
      name, kind: 'odbc', product: 'agent_states', time_zone: zone, password: db.password,
      settings: { odbc, live_status: liveStatus, ...extra },
    };
  }

  /** The live board's row of an external id nobody mapped: [code, since, status]. */
  async function board(sourceId) {
    const r = await admin.get('/api/v1/agents/live');
    assertStatus(r, 200);
    const out = {};
    for (const a of r.body.agents.filter((x) => x.source_id === sourceId)) {
      out[a.ext_agent] = [a.code, a.since, a.status];
    }
    return out;
  }

  before(async () => {
    db = await start();
    sqlDialect = db.engine === 'postgresql'
      ? { now: "date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC')", epoch: 'extract(epoch from clock_timestamp())', sleep: (s) => `SELECT pg_sleep(${s});` }
      : { now: 'UTC_TIMESTAMP()', epoch: 'UNIX_TIMESTAMP(SYSDATE(6))', sleep: (s) => `DO SLEEP(${s});` };
    loadFixtures(db, ['cisco_ucce_agent_event_detail.sql', 'cisco_ucce_agent_real_time.sql', 'twilio_taskrouter_workers.sql']);
    db.exec(`CREATE TABLE agent_status (agent VARCHAR(16) NOT NULL PRIMARY KEY, state VARCHAR(16), reason VARCHAR(16), since TIMESTAMP NULL);
      CREATE TABLE writer_log (seq INTEGER NOT NULL PRIMARY KEY, agent VARCHAR(16), code VARCHAR(40), since TIMESTAMP NULL, at DOUBLE PRECISION);`);
    ({ d, admin, wfm, dataDir } = await startFollowDaemon(Object.values(ACTIVITY)));
  });

  after(async () => {
    await stopFollowDaemon({ d, wfm, dataDir });
    db?.stop();
  });

  test('live-status settings: defaults, and refusals naming the field', { skip: !settings && 'on PostgreSQL only' }, async () => {
    const bad = async (body, field) => assertInvalidField(await admin.post('/api/v1/sources', body), field);
    const cols = { agent_column: 'agent', state_column: 'state' };
    await bad(source('x', { state_column: 'state' }), 'settings.live_status.agent_column');
    await bad(source('x', { agent_column: 'agent' }), 'settings.live_status.state_column');
    await bad(source('x', { ...cols, poll_s: 0 }), 'settings.live_status.poll_s');
    await bad(source('x', { ...cols, poll_s: 3601 }), 'settings.live_status.poll_s');
    await bad(source('x', { ...cols, every: 1 }), 'settings.live_status.every');
    await bad(source('x', { ...cols, since_column: 7 }), 'settings.live_status.since_column');
    await bad(source('x', 'agent'), 'settings.live_status');
    await bad(source('x', cols, { sqlText: 'SELECT agent, state FROM agent_status WHERE since >= :period_start' }), 'odbc.sql');
    await bad(source('x', cols, { extra: { agent_states: { span: 'start_end' } } }), 'settings.agent_states.span');
    await bad(source('x', cols, { extra: { incremental: { cursor_column: 'since' } }, sqlText: 'SELECT agent, state, since FROM agent_status WHERE since >= :since' }), 'settings.live_status');
    await bad(source('x', cols, { preset: 'cisco_ucce_agent_real_time' }), 'settings.live_status');
    await bad(source('x', null, { preset: 'cisco_ucce_agent_real_time_live' }), 'odbc.preset');
    await bad(source('x', { state_column: 'state' }, { preset: 'twilio_taskrouter_workers_live' }), 'settings.live_status.state_column');
    const csv = { name: 'x', kind: 'csv', product: 'agent_states', time_zone: 'UTC', settings: { csv: { folder: '/tmp' }, columns: { agent: 'a', activity: 'b', start: 'c' }, live_status: cols } };
    await bad(csv, 'settings.live_status');
    const r = await admin.post('/api/v1/sources', { ...source('defaults', cols), enabled: false });
    assertStatus(r, 201);
    assert.deepEqual(r.body.settings.live_status, { ...cols, reason_column: null, since_column: null, poll_s: 5 });
    assert.equal(r.body.settings.agent_states.span, 'start_only');
    assert.deepEqual(r.body.settings.agent_states.logout_activities, ['LOGGED_OUT']);
    assertStatus(await admin.delete(`/api/v1/sources/${r.body.id}`), 204);
    const presets = (await admin.get('/api/v1/source-presets')).body.items;
    const ucce = presets.find((p) => p.id === 'cisco_ucce_agent_real_time_live');
    assert.deepEqual(ucce.live_status, { agent_column: 'agent_id', state_column: 'activity_id', reason_column: null, since_column: 'state_since' });
    assert.deepEqual(ucce.logout_activities, ['LOGOUT']);
    assert.equal(presets.find((p) => p.id === 'cisco_ucce_agent_real_time').live_status, null);
  });

  test('presets: Cisco UCCE Agent_Real_Time (the reason code when not ready, else the state) and Twilio TaskRouter workers', async () => {
    // an agent in a second media routing domain: its first one counts
    db.exec("INSERT INTO Agent_Real_Time VALUES (5003, 2, '2024-03-31 12:31:00', 4, 0, '2024-03-31 12:00:00', '2024-03-31 08:00:00')");
    const ucce = (await admin.post('/api/v1/sources', source('ucce', { poll_s: 1 }, { preset: 'cisco_ucce_agent_real_time_live', zone: 'Europe/Berlin' }))).body;
    const tw = (await admin.post('/api/v1/sources', source('twilio', { poll_s: 1 }, { preset: 'twilio_taskrouter_workers_live' }))).body;
    assert.ok(ucce.id && tw.id, JSON.stringify([ucce, tw]));
    const f = await waitFor(async () => { const x = await follow(ucce.id); return x?.agents === 6 ? x : null; }, 'the UCCE table read');
    assert.equal(f.mode, 'live_status');
    assert.equal(f.cursor, null);
    assert.equal(f.last_rejected, 1, JSON.stringify(f));
    assert.match(f.last_note, /0077 has an earlier row/);
    assert.deepEqual(await board(ucce.id), {
      '0042': ['NR3', '2024-03-31T10:30:00Z', 'in_state'],
      42: ['TALKING', '2024-03-31T07:15:10Z', 'in_state'],
      '0077': ['READY', '2024-03-31T06:05:00Z', 'in_state'],
      '0088': ['LOGOUT', '2024-03-30T17:00:00Z', 'logged_out'],
      '0099': ['WORK_NOT_READY', '2024-03-31T09:00:00Z', 'in_state'],
      '0100': ['LOGOUT', '2024-03-31T15:00:00Z', 'logged_out'],
    });
    const codes = (await admin.get(`/api/v1/activity-codes?source=${ucce.id}`)).body.items;
    assert.equal(codes.find((c) => c.code === 'NR3')?.name, 'Lunch', JSON.stringify(codes));
    // 0077 becomes not ready (Meeting); 42 leaves the table: logged out at the poll
    db.exec(`UPDATE Agent_Real_Time SET AgentState = 2, ReasonCode = 7, DateTimeLastStateChange = '2024-03-31 12:40:00' WHERE SkillTargetID = 5003 AND MRDomainID = 1;
      DELETE FROM Agent_Real_Time WHERE SkillTargetID = 5002`);
    const b = await waitFor(async () => { const x = await board(ucce.id); return x['0077'][0] === 'NR7' && x[42][0] === 'LOGOUT' ? x : null; }, 'the changes');
    assert.equal(b['0077'][1], '2024-03-31T10:40:00Z');
    assert.ok(Date.parse(b[42][1]) >= Date.now() - 60000, `42 logged out at the poll that missed it: ${b[42][1]}`);
    assert.equal((await follow(ucce.id)).agents, 5);

    await waitFor(async () => (await follow(tw.id))?.agents === 3, 'the Twilio table read');
    assert.deepEqual(await board(tw.id), {
      'alice@example.com': ['Available', '2024-03-31T08:00:05Z', 'in_state'],
      'bob@example.com': ['Break', '2024-03-31T10:15:00Z', 'in_state'],
      'carol@example.com': ['Offline', '2024-03-30T18:00:00Z', 'logged_out'],
    });
    // a run of the source (by hand) is a poll with a run log
    db.exec("UPDATE taskrouter_workers SET activity_name = 'Available', date_status_changed = '2024-03-31 10:45:00' WHERE friendly_name = 'bob@example.com'");
    const c = await admin.post('/api/v1/runs', { source_id: tw.id, from: '2024-03-31', to: '2024-03-31' });
    assertStatus(c, 202);
    const run = await waitFor(async () => { const x = (await admin.get(`/api/v1/runs/${c.body.id}`)).body; return ['done', 'failed'].includes(x.state) ? x : null; }, 'the run');
    assert.equal(run.state, 'done', JSON.stringify(run));
    const log = (await admin.get(`/api/v1/runs/${run.id}/log?limit=100`)).body.items;
    assert.ok(log.some((l) => l.code === 'run.live_status'), JSON.stringify(log.map((l) => l.message)));
    assert.deepEqual((await board(tw.id))['bob@example.com'], ['Available', '2024-03-31T10:45:00Z', 'in_state']);
    for (const s of [ucce, tw]) {
      assertStatus(await admin.patch(`/api/v1/sources/${s.id}`, { enabled: false }), 200);
    }
  });

  test('a writer changes agents\' rows while the daemon polls; kill -9 in the middle; every change that stayed is staged once, in order, and delivered', async () => {
    const { now, epoch, sleep } = sqlDialect;
    // each agent: READY, TALK, a 0.15 s coffee break, ACW, gone (logged out), READY again,
    // lunch (a reason beside the state), TALK; every other change held 4 s, agents 0.3 s apart
    const events = [];
    for (let a = 0; a < AGENTS; a++) {
      const plan = [['TALK', 4], ['NR:coffee', 0.15], ['ACW', 3.85], ['GONE', 4], ['READY', 4], ['NR:lunch', 4], ['TALK', 0]];
      let t = 4 + a * 0.3;
      for (const [code, hold] of plan) {
        events.push({ t, agent: `w${a}`, code, hold });
        t += hold;
      }
    }
    events.sort((x, y) => x.t - y.t);
    let seq = 0;
    const initial = [];
    for (let a = 0; a < AGENTS; a++) {
      seq += 1;
      initial.push(`INSERT INTO agent_status VALUES ('w${a}', 'READY', NULL, ${now});`,
        `INSERT INTO writer_log VALUES (${seq}, 'w${a}', 'READY', ${now}, ${epoch});`);
    }
    db.exec(initial.join('\n'));
    const script = [];
    let clock = 0;
    for (const e of events) {
      if (e.t > clock) {
        script.push(sleep((e.t - clock).toFixed(2)));
        clock = e.t;
      }
      seq += 1;
      const [state, reason] = e.code.split(':');
      if (e.code === 'GONE') {
        script.push(`DELETE FROM agent_status WHERE agent = '${e.agent}';`);
      } else if (events.some((x) => x.agent === e.agent && x.code === 'GONE' && x.t < e.t) && state === 'READY') {
        script.push(`INSERT INTO agent_status VALUES ('${e.agent}', 'READY', NULL, ${now});`);
      } else {
        script.push(`UPDATE agent_status SET state = '${state}', reason = ${reason ? `'${reason}'` : 'NULL'}, since = ${now} WHERE agent = '${e.agent}';`);
      }
      script.push(`INSERT INTO writer_log VALUES (${seq}, '${e.agent}', '${e.code}', ${e.code === 'GONE' ? 'NULL' : `(SELECT since FROM agent_status WHERE agent = '${e.agent}')`}, ${epoch});`);
    }
    const withSince = (await admin.post('/api/v1/sources', source('since', { agent_column: 'agent', state_column: 'state', reason_column: 'reason', since_column: 'since', poll_s: 1 }))).body;
    const noSince = (await admin.post('/api/v1/sources', source('nosince', { agent_column: 'agent', state_column: 'state', reason_column: 'reason', poll_s: 1 }))).body;
    for (const [src, prefix] of [[withSince, 's'], [noSince, 'n']]) {
      const ids = Array.from({ length: AGENTS }, (_, a) => `w${a};${prefix}${a}@example.com`);
      assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: ids.join('\n') }), 200);
      for (const [code, act] of Object.entries(ACTIVITY)) {
        assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act }), 200);
      }
    }
    await waitFor(async () => (await follow(withSince.id))?.agents === AGENTS && (await follow(noSince.id))?.agents === AGENTS, 'the first polls');
    const [bin, args] = db.client;
    const writer = spawn(bin, args, { stdio: ['pipe', 'ignore', 'inherit'] });
    const writerDone = new Promise((res) => writer.once('exit', res));
    writer.stdin.end(`${script.join('\n')}\n`);
    // kill -9 once the ACW states are being staged, between or during polls
    await waitFor(async () => (await follow(withSince.id)).rows_changed >= 3 * AGENTS, 'TALK staged', 30000);
    const killAt = Date.now() / 1000;
    d.proc.kill('SIGKILL');
    await new Promise((res) => d.proc.once('exit', res));
    await restart();
    const polls = [(await follow(withSince.id)).polls, (await follow(noSince.id)).polls];
    await waitFor(async () => (await follow(withSince.id)).polls > polls[0] && (await follow(noSince.id)).polls > polls[1], 'polls after the restart');
    const upAt = Date.now() / 1000;
    assert.equal(await writerDone, 0, 'the writer ran every statement');
    await waitFor(async () => (await board(withSince.id)).w7?.[0] === 'TALK' && (await board(noSince.id)).w7?.[0] === 'TALK', 'the last changes');
    await drained(admin);
    assert.deepEqual(wfm.errors, []);
    // what the writer did, as the database logged it
    const log = db.query('SELECT agent, code, since, at FROM writer_log ORDER BY seq').split('\n').map((l) => {
      const [agent, code, since, at] = l.split('\t');
      return { agent, code, since: since && since !== 'NULL' ? `${since.replace(' ', 'T')}Z` : null, at: Number(at) };
    });
    const report = [];
    for (const [src, prefix] of [[withSince, 's'], [noSince, 'n']]) {
      for (let a = 0; a < AGENTS; a++) {
        const changes = log.filter((x) => x.agent === `w${a}`);
        changes.forEach((c, i) => {
          const next = changes[i + 1]?.at ?? Infinity;
          // held 3.5 s or more while the daemon ran: seen by two polls at least
          c.required = next - c.at >= 3.5 && (next <= killAt - 1 || c.at >= upAt);
          c.activity = c.code === 'GONE' ? 'logged_out' : ACTIVITY[c.code];
        });
        // what the receiver holds for the agent: its days in order, spans as (start, activity),
        // and the hole after a state that ended (the logout), a midnight cut joined again
        const ident = `${prefix}${a}@example.com`;
        const days = [...wfm.agents.keys()].filter((k) => k.startsWith(`${ident}|`)).sort();
        const spans = days.flatMap((k) => wfm.agents.get(k).filter((s) => !s.filled));
        const got = [];
        spans.forEach((s, i) => {
          const prev = got[got.length - 1];
          if (!(prev && prev.activity === s.activity && prev.end === s.start)) {
            got.push({ activity: s.activity, start: s.start, end: s.end });
          } else {
            prev.end = s.end;
          }
          const nextStart = spans[i + 1]?.start;
          if (s.end && s.end !== nextStart) {
            got.push({ activity: 'logged_out', start: s.end, end: nextStart ?? null });
          }
        });
        // a subsequence of the writer's changes holding every required one, each once, in order
        let k = 0;
        for (const g of got) {
          while (k < changes.length && changes[k].activity !== g.activity) {
            assert.ok(!changes[k].required, `${ident} (${src.name}): ${changes[k].code} of ${changes[k].at} missing: ${JSON.stringify(got)}`);
            k += 1;
          }
          assert.ok(k < changes.length, `${ident} (${src.name}): ${g.activity} at ${g.start} is not the writer's next change: ${JSON.stringify(got)} vs ${JSON.stringify(changes)}`);
          const c = changes[k];
          const start = Date.parse(g.start) / 1000;
          if (src === withSince && c.since) {
            assert.equal(g.start, c.since, `${ident}: ${c.code} starts at its since`);
          } else {
            assert.ok(start >= Math.floor(c.at) && start <= Math.max(c.at, upAt) + 5, `${ident} (${src.name}): ${c.code} written at ${c.at} staged at ${g.start}`);
          }
          k += 1;
        }
        for (; k < changes.length; k += 1) {
          assert.ok(!changes[k].required, `${ident} (${src.name}): ${changes[k].code} missing at the end: ${JSON.stringify(got)}`);
        }
        report.push(`${ident}: ${got.map((g) => g.activity).join(' ')}`);
      }
      // in order: each day sent to the receiver extends what it was sent before (a state is
      // never taken back; one whose since came again with another code is replaced)
      const seen = new Map();
      for (const b of [...wfm.batches.values()].sort((x, y) => x.order - y.order)) {
        for (const dd of b.body.days.filter((x) => x.agent.startsWith(prefix))) {
          const starts = dd.spans.filter((s) => !s.filled).map((s) => s.start);
          const prior = seen.get(`${dd.agent}|${dd.day}`) || [];
          assert.deepEqual(starts.slice(0, prior.length), prior, `${dd.agent}: sent ${JSON.stringify(starts)} after ${JSON.stringify(prior)}`);
          seen.set(`${dd.agent}|${dd.day}`, starts);
        }
      }
    }
    const f = await follow(withSince.id);
    assert.equal(f.error, null);
    assert.equal(f.agents, AGENTS);
    console.log(`# ${db.engine}: killed at +${(killAt - log[0].at).toFixed(1)} s, polling again at +${(upAt - log[0].at).toFixed(1)} s\n# ${report.join('\n# ')}`);
    for (const s of [withSince, noSince]) {
      assertStatus(await admin.patch(`/api/v1/sources/${s.id}`, { enabled: false }), 200);
    }
  });
}
