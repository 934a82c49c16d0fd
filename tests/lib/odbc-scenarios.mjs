// ODBC import scenarios that every database engine must pass with the same results: the test
// file of an engine (agent-states-odbc.test.mjs: PostgreSQL through psqlODBC,
// odbc-mariadb.test.mjs: MariaDB through odbc-mariadb) starts its server once (tests/lib/sqldb.mjs)
// and calls defineOdbcScenarios(start). The expectations live here only.
//
// Agent states with the preset table layouts of tests/fixtures/odbc: Avaya CMS agent trace
// (start + duration, across the spring DST gap), Cisco UCCE Agent_Event_Detail and Asterisk
// queue_log (start only, with logout codes), Cisco UCCX AgentStateDetail (start only, times in
// UTC) and Genesys CIC AgentActivityLog (start + end). Contact statistics: the interval presets
// of Avaya CMS hsplit (an interval start computed with ODBC escapes, 30 minutes, DST day) and
// Cisco UCCE Call_Type_Interval (names from a join, 15 minutes), and SQL of one's own over
// integer, decimal, floating-point, NULL and timestamp columns. ODBC runs replace the staged
// days of their period.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertStatus, show, sleep, startWithAdmin } from './api.mjs';
import { loadFixtures } from './sqldb.mjs';
import {
  PAUSE_REASONS, SIM_QUEUES, expectedIntervals, expectedSpans, queueLogInserts, simulateQueueLog,
} from './asterisk-sim.mjs';

const DAY = '2024-03-31';
const SIM_DAY = '2024-04-02'; // the simulated Asterisk day (tests/lib/asterisk-sim.mjs)
const sim = simulateQueueLog(SIM_DAY);

const FIXTURES = ['asterisk_queue_log.sql', 'asterisk_queue_log_agents.sql', 'avaya_cms_agent_trace.sql',
  'cisco_ucce_agent_event_detail.sql', 'cisco_ucce_agent_real_time.sql', 'cisco_uccx_agent_state_detail.sql', 'genesys_cic_agent_activity.sql',
  'avaya_cms_hsplit.sql', 'cisco_ucce_call_type_interval.sql'];

// SQL of one's own over the usual column types; the same text on every engine.
const OWN_TABLE = `CREATE TABLE own_interval (
    split VARCHAR(20) NOT NULL,
    split_name VARCHAR(40),
    starts TIMESTAMP NULL,
    offered INTEGER,
    handled SMALLINT,
    talk DECIMAL(10,2),
    ratio DOUBLE PRECISION
);
INSERT INTO own_interval VALUES
    ('007', 'Billing', '2024-03-30 23:45:00', 99, 99, 1.50, 0.5),
    ('007', 'Billing', '2024-03-31 00:00:00', 3, 2, 120.25, 0.75),
    ('007', 'Billing', '2024-03-31 01:45:00', 5, 5, 300.00, 1),
    ('007', NULL, '2024-03-31 03:00:00', 7, NULL, NULL, 0.125),
    ('7', 'Billing 7', '2024-03-31 03:00:00', 1, 1, 10.5, NULL),
    ('007', 'Billing', '2024-03-31 23:45:00', 2, 2, 0.75, 0.25),
    ('007', 'Billing', '2024-04-01 00:00:00', 50, 50, 1, 1);
`;
const OWN_SQL = 'SELECT split, split_name, starts, offered, handled, talk, ratio FROM own_interval\n'
  + ' WHERE starts >= :period_start AND starts < :period_end ORDER BY starts, split';

/** Registers the scenarios; start() resolves with a server of tests/lib/sqldb.mjs. */
export function defineOdbcScenarios(start) {
  let db;
  let d;
  let admin;
  const sources = {};

  async function run(sourceId, day = DAY) {
    const c = await admin.post('/api/v1/runs', { source_id: sourceId, from: day, to: day });
    assertStatus(c, 202);
    for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
      const r = await admin.get(`/api/v1/runs/${c.body.id}`);
      if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
        const log = await admin.get(`/api/v1/runs/${c.body.id}/log?limit=500`);
        return { ...r.body, ...r.body.counts, log: log.body.items.map((x) => x.message) };
      }
      await sleep(100);
    }
    throw new Error('run did not finish');
  }

  async function spans(agent, day = DAY) {
    const r = await admin.get(`/api/v1/agent-states?agent=${encodeURIComponent(agent)}&from=${day}&to=${day}`);
    assertStatus(r, 200);
    const dd = r.body.days.find((x) => x.day === day);
    return dd ? dd.spans.map((s) => `${s.local_start.slice(11, 19)}-${s.local_end ? s.local_end.slice(11, 19) : 'open'} ${s.activity}`) : [];
  }

  async function source(name, product, settings, extra = {}) {
    const r = await admin.post('/api/v1/sources', {
      name, kind: 'odbc', product, password: db.password, time_zone: 'Europe/Berlin', ...extra,
      settings: { odbc: { connection_string: db.connectionString, user: db.user, ...settings } },
    });
    assertStatus(r, 201);
    return r.body;
  }

  // Maps each [external queue, metric] of src into its own WFM queue (of the source's interval)
  // and returns the results of the day as 'HH:MM=value' per input. A metric is named by the
  // result column's name as the SQL writes it; the engine reports it (db.columnName).
  async function results(src, inputs, day = DAY) {
    const out = {};
    for (const [extQueue, metric] of inputs) {
      const ident = `${src.name}-${extQueue}-${metric}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const q = await admin.post('/api/v1/queues', {
        identifier: ident, name: ident, time_zone: 'Europe/Berlin', interval_minutes: src.interval_minutes,
      });
      assertStatus(q, 201);
      assertStatus(await admin.post('/api/v1/mappings', {
        queue_id: q.body.id, value_type: 'offered', override: true,
        inputs: [{ source_id: src.id, ext_queue: extQueue, metric: db.columnName(metric) }],
      }), 201);
      const r = await admin.get(`/api/v1/results?queue=${ident}&from=${day}&to=${day}`);
      assertStatus(r, 200);
      out[`${extQueue} ${metric}`] = r.body.items.map((x) => `${x.local.slice(11, 16)}=${x.value}`).join(' ');
    }
    return out;
  }

  before(async () => {
    db = await start();
    loadFixtures(db, FIXTURES);
    db.exec(OWN_TABLE);
    db.exec(queueLogInserts(sim.rows));
    ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
    for (const a of ['talk', 'break', 'lunch']) {
      assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
    }
    for (const preset of ['avaya_cms_agent_trace', 'cisco_ucce_agent_event_detail', 'cisco_ucce_agent_real_time', 'asterisk_queue_log_agents',
      'cisco_uccx_agent_state_detail', 'genesys_cic_agent_activity']) {
      sources[preset] = await source(preset, 'agent_states', { preset },
        preset === 'cisco_uccx_agent_state_detail' ? { time_zone: 'UTC' } : {});
    }
    sources.avaya_cms_hsplit = await source('hsplit', 'contacts', { preset: 'avaya_cms_hsplit' }, { interval_minutes: 30 });
    sources.cisco_ucce_call_type_interval = await source('cti', 'contacts', { preset: 'cisco_ucce_call_type_interval' });
    sources.own = await source('own', 'contacts', { sql: OWN_SQL });
    sources.asterisk_queue_log_states = await source('ast states', 'agent_states', { preset: 'asterisk_queue_log_states' });
    sources.asterisk_queue_log_intervals = await source('ast intervals', 'contacts',
      { preset: 'asterisk_queue_log_intervals' }, { interval_minutes: 15 });
  });
  defineOdbcErrorScenario(() => ({ admin, db }));

  after(async () => {
    if (d) {
      // a clean exit: under the sanitizer build a memory error or leak would make it fail
      const code = await d.stop();
      assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
    }
    if (db) {
      db.stop();
    }
  });

  test('presets are listed with their span form and logout codes; the source takes them', async () => {
    const r = await admin.get('/api/v1/source-presets');
    const ucce = r.body.items.find((p) => p.id === 'cisco_ucce_agent_event_detail');
    assert.equal(ucce.product, 'agent_states');
    assert.equal(ucce.span, 'start_only');
    assert.deepEqual(ucce.logout_activities, ['LOGOUT']);
    assert.deepEqual(sources.asterisk_queue_log_agents.settings.agent_states,
      { span: 'start_only', logout_activities: ['REMOVEMEMBER'], min_duration_s: 0, split_at_midnight: true });
    assert.equal(sources.avaya_cms_agent_trace.settings.agent_states.span, 'start_duration');
    const wrong = await admin.post('/api/v1/sources', {
      name: 'wrong', kind: 'odbc', product: 'agent_states', time_zone: 'UTC',
      settings: { odbc: { dsn: 'x', preset: 'avaya_cms_hsplit' } },
    });
    assert.equal(wrong.status, 422, show(wrong));
  });

  test('Avaya CMS agent trace: start + duration across the DST gap, login ids with leading zeros', async () => {
    const src = sources.avaya_cms_agent_trace;
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    assert.equal(r.rows_staged, 5);
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: '0815;anna@example.com\n00815;otto@example.com' }), 200);
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'AUX7', activity: 'break' });
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'ACD', activity: 'talk' });
    assert.deepEqual(await spans('anna@example.com'), [
      '01:30:00-04:00:00 present', // 90 minutes of real time: the clocks skip 02:00-03:00
      '04:00:00-08:00:00 logged_out',
      '08:00:00-08:30:00 present',
      '08:30:00-08:34:05 talk',
      '08:34:05-08:44:05 break',
    ]);
    assert.deepEqual(await spans('otto@example.com'), ['09:00:00-09:00:30 present']);
  });

  test('Cisco UCCE Agent_Event_Detail: start only, reason names, LOGOUT closes the session', async () => {
    const src = sources.cisco_ucce_agent_event_detail;
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
    assert.deepEqual(codes.body.items.map((c) => [c.code, c.name, c.count]),
      [['LOGIN', null, 2], ['LOGOUT', null, 1], ['NR3', 'Lunch', 1], ['NR7', 'Meeting', 1]]);
    const unknown = await admin.get(`/api/v1/unknown-agents?source=${src.id}`);
    assert.deepEqual(unknown.body.items.map((x) => x.ext_agent), ['0042', '42']);
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'NR3', activity: 'lunch' });
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: '0042;anna@example.com' }), 200);
    // anna has ids in two sources: both show in her day
    assert.deepEqual(await spans('anna@example.com'), [
      '01:30:00-04:00:00 present', '04:00:00-07:59:00 logged_out', '07:59:00-08:30:00 present',
      '08:30:00-08:34:05 talk', '08:34:05-08:44:05 break', '08:44:05-10:00:00 present',
      '10:00:00-10:45:00 lunch', '10:45:00-16:00:00 present',
    ]);
  });

  test('Cisco UCCE Agent_Real_Time: each agent\'s current state since its last change; not ready as its reason', async () => {
    const src = sources.cisco_ucce_agent_real_time;
    assert.equal(src.settings.agent_states.span, 'start_only');
    assert.deepEqual(src.settings.agent_states.logout_activities, ['LOGOUT']);
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    assert.equal(r.rows_staged, 5); // 0088's state began the day before
    const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
    assert.deepEqual(codes.body.items.map((c) => [c.code, c.name]),
      [['LOGOUT', null], ['NR3', 'Lunch'], ['READY', null], ['TALKING', null], ['WORK_NOT_READY', null]]);
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'NR3', activity: 'lunch' });
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALKING', activity: 'talk' });
    assertStatus(await admin.post('/api/v1/agent-ids', {
      source_id: src.id, text: '0042;rt42@example.com\n42;rtb@example.com\n0077;rtc@example.com\n0100;rtf@example.com',
    }), 200);
    assert.deepEqual(await spans('rt42@example.com'), ['12:30:00-open lunch']);
    assert.deepEqual(await spans('rtb@example.com'), ['09:15:10-open talk']);
    assert.deepEqual(await spans('rtc@example.com'), ['08:05:00-open present']);
    assert.deepEqual(await spans('rtf@example.com'), []); // logged off: no state in the day
  });

  test('Asterisk queue_log: membership and pauses; a re-run replaces the day and changes nothing', async () => {
    const src = sources.asterisk_queue_log_agents;
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'PAUSE:lunch', activity: 'lunch' });
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'PAUSE', activity: 'break' });
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'PJSIP/301;pat@example.com\nPJSIP/202;kim@example.com' }), 200);
    const want = ['08:00:00-12:00:00 present', '12:00:00-12:30:00 lunch', '12:30:00-13:00:00 present', '13:00:00-17:00:00 break'];
    assert.deepEqual(await spans('pat@example.com'), want);
    assert.deepEqual(await spans('kim@example.com'), ['00:30:00-open present']);
    const again = await run(src.id);
    assert.equal(again.state, 'done');
    assert.ok(again.log.some((l) => /0 agent days changed/.test(l)), again.log.join('\n'));
    assert.deepEqual(await spans('pat@example.com'), want);
  });

  test('Cisco UCCX AgentStateDetail: work modes and not-ready reasons, LOGOUT closes the day', async () => {
    const src = sources.cisco_uccx_agent_state_detail;
    assert.equal(src.settings.agent_states.span, 'start_only');
    assert.deepEqual(src.settings.agent_states.logout_activities, ['LOGOUT']);
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    assert.equal(r.rows_staged, 8);
    const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
    assert.deepEqual(codes.body.items.map((c) => c.code).sort(),
      ['LOGIN', 'LOGOUT', 'NR101', 'NR32760', 'READY', 'TALKING', 'WORK']);
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALKING', activity: 'talk' });
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'NR101', activity: 'break' });
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'asmith;uma@example.com' }), 200);
    // LOGIN, READY and WORK are unmapped (present); LOGOUT ends the day at 16:00
    assert.deepEqual(await spans('uma@example.com'), [
      '07:58:00-08:00:50 present', '08:00:50-08:05:15 talk', '08:05:15-12:00:00 present', '12:00:00-16:00:00 break',
    ]);
  });

  test('Genesys CIC AgentActivityLog: statuses from start to end, logged-out rows not read', async () => {
    const src = sources.genesys_cic_agent_activity;
    assert.equal(src.settings.agent_states.span, 'start_end');
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
    assert.deepEqual(codes.body.items.map((c) => c.code).sort(), ['At Lunch', 'Available', 'Do Not Disturb']);
    await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'At Lunch', activity: 'lunch' });
    assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'jdoe;jo@example.com\nmsmith;mo@example.com' }), 200);
    const jo = await spans('jo@example.com');
    assert.ok(jo.includes('08:00:00-10:00:00 present'), jo.join('\n'));
    assert.ok(jo.includes('10:00:00-10:45:00 lunch'), jo.join('\n'));
    assert.ok(jo.includes('10:45:00-17:00:00 present'), jo.join('\n'));
    assert.deepEqual(await spans('mo@example.com'), ['09:00:00-open present']);
  });

  test('Avaya CMS hsplit: half-hour intervals from row_date and starttime across the DST gap', async () => {
    const src = sources.avaya_cms_hsplit;
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    assert.equal(r.rows_staged, 6);
    assert.deepEqual(await results(src, [['1', 'callsoffered'], ['2', 'acdtime'], ['1', 'abntime']]), {
      '1 callsoffered': '00:00=4 01:30=2 03:00=3 08:30=31',
      '2 acdtime': '08:30=9100 23:30=95',
      '1 abntime': '00:00=0 01:30=33 08:30=12', // NULL is no value
    });
  });

  test('Cisco UCCE Call_Type_Interval: quarter hours, names from Call_Type', async () => {
    const src = sources.cisco_ucce_call_type_interval;
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    assert.equal(r.rows_staged, 5);
    const names = await admin.get(`/api/v1/unmapped-queues?source=${src.id}`);
    assertStatus(names, 200);
    assert.deepEqual(await results(src, [['5001', 'CallsOffered'], ['5002', 'HandleTime']]), {
      '5001 CallsOffered': '00:00=4 03:00=3',
      '5002 HandleTime': '01:45=310 03:00=0',
    });
  });

  test('SQL of its own: integers, decimals, floating point, NULLs and timestamps of the period only', async () => {
    const src = sources.own;
    const r = await run(src.id);
    assert.equal(r.state, 'done', r.log.join('\n'));
    assert.equal(r.rows_read, 5); // the rows of the 30th and of April 1st are not asked for
    assert.deepEqual(await results(src, [['007', 'offered'], ['007', 'talk'], ['007', 'ratio'], ['007', 'handled'], ['7', 'talk']]), {
      '007 offered': '00:00=3 01:45=5 03:00=7 23:45=2',
      '007 talk': '00:00=120.25 01:45=300 23:45=0.75',
      '007 ratio': '00:00=0.75 01:45=1 03:00=0.125 23:45=0.25',
      '007 handled': '00:00=2 01:45=5 23:45=2',
      '7 talk': '03:00=10.5', // 7 and 007 are two queues
    });
  });

  test('Asterisk queue_log states: a simulated day of 5 agents as the simulation lived it', async () => {
    const src = sources.asterisk_queue_log_states;
    assert.equal(src.settings.agent_states.span, 'start_only');
    assert.deepEqual(src.settings.agent_states.logout_activities, ['LOGGEDOUT']);
    const r = await run(src.id, SIM_DAY);
    assert.equal(r.state, 'done', r.log.join('\n'));
    const want = Object.values(sim.states).reduce((n, st) => n + st.length, 0);
    assert.equal(r.rows_staged, want, r.log.join('\n'));
    // every code maps to an activity of its own, so the spans name the codes
    const codes = ['AVAILABLE', 'ONCALL', ...PAUSE_REASONS.map((x) => (x ? `PAUSED:${x}` : 'PAUSED'))];
    for (const code of codes) {
      const ident = code.toLowerCase().replace(/[^a-z]/g, '_');
      assertStatus(await admin.post('/api/v1/activities', { identifier: ident, name: code }), 201);
      assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: ident }), 200);
    }
    const listed = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
    assert.deepEqual(listed.body.items.map((c) => c.code).sort(), [...codes, 'LOGGEDOUT'].sort());
    const agents = Object.keys(sim.states);
    assertStatus(await admin.post('/api/v1/agent-ids', {
      source_id: src.id, text: agents.map((a) => `${a};${a.slice(6)}@example.com`).join('\n'),
    }), 200);
    for (const a of agents) {
      const got = (await spans(`${a.slice(6)}@example.com`, SIM_DAY)).map((x) => x.replace(/ (\S+)$/, (m, act) => ` ${codes[codes.map((c) => c.toLowerCase().replace(/[^a-z]/g, '_')).indexOf(act)] ?? act}`));
      assert.deepEqual(got, expectedSpans(sim.states[a]), a);
    }
  });

  test('Asterisk queue_log intervals: offered, answered, abandoned, timeouts, exits, waits and talk per quarter hour', async () => {
    const src = sources.asterisk_queue_log_intervals;
    const r = await run(src.id, SIM_DAY);
    assert.equal(r.state, 'done', r.log.join('\n'));
    const want = expectedIntervals(sim.calls);
    const inputs = Object.keys(want).map((k) => k.split(' '));
    assert.equal(inputs.length, SIM_QUEUES.length * 11);
    assert.deepEqual(await results(src, inputs, SIM_DAY), want);
  });
}

/**
 * Registers the connection-error scenario: a refused port, a wrong password and a database the
 * user may not use fail the run with the message code of their SQLSTATE's class, whatever
 * SQLSTATE form the driver uses; PLUGIN_DIR= (a driver loading libraries) is refused when saved.
 * get() gives the daemon session and the server of defineOdbcScenarios.
 */
function defineOdbcErrorScenario(get) {
  test('connection errors: refused port, wrong password, forbidden database; PLUGIN_DIR= refused', async () => {
    const { admin, db } = get();
    const base = db.connectionString.replace(/;Port=\d+/, '');
    const cases = [
      [`${base};Port=1`, db.password, 'odbc.connection'],
      [db.connectionString, 'wrong-password', 'odbc.auth'],
      [db.connectionString.replace(/Database=\w+/, 'Database=nosuchdb'), db.password, null],
    ];
    for (const [cs, password, code] of cases) {
      const s = await admin.post('/api/v1/sources', {
        name: `err ${Math.random()}`, kind: 'odbc', time_zone: 'UTC', password,
        settings: { odbc: { connection_string: cs, user: db.user, sql: OWN_SQL } },
      });
      assertStatus(s, 201);
      const c = await admin.post('/api/v1/runs', { source_id: s.body.id, from: DAY, to: DAY });
      assertStatus(c, 202);
      let r;
      for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
        r = await admin.get(`/api/v1/runs/${c.body.id}`);
        if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
          break;
        }
        await sleep(100);
      }
      assert.equal(r.body.state, 'failed', show(r));
      const log = await admin.get(`/api/v1/runs/${c.body.id}/log?limit=500`);
      const failed = log.body.items.find((x) => x.code === 'run.connect_failed');
      assert.ok(failed, JSON.stringify(log.body.items));
      // no password in the log, in any form
      assert.ok(!JSON.stringify(log.body).includes(db.password), JSON.stringify(log.body.items));
      // (a database that does not exist or is not the user's: psqlODBC says 08001, MariaDB 42000)
      if (code) {
        assert.equal(failed.params.detail_code, code, JSON.stringify(failed));
      }
    }
    const plugin = await admin.post('/api/v1/sources', {
      name: 'plugins', kind: 'odbc', time_zone: 'UTC',
      settings: { odbc: { connection_string: `${db.connectionString};PLUGIN_DIR=/tmp`, sql: OWN_SQL } },
    });
    assert.equal(plugin.status, 422, show(plugin));
    assert.match(plugin.body.error.message, /PLUGIN_DIR= loads a library/, show(plugin));
  });
}

