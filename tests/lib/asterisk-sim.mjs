// A seeded simulation of one day of an Asterisk call centre, written as queue_log rows (the
// realtime table: time, callid, queuename, agent, event, data1..data5), and what the day was:
// every agent's states as the simulation lived them and every call with its outcome. The
// expectations of the queue_log presets are computed from that record, not from the rows.
//
// Agents join both queues at once, take calls (sometimes after a ring without answer), pause
// with or without a reason (sometimes during a call: the pause shows when the call ends) and
// leave; one stays logged in past midnight. Callers who are not answered abandon, time out,
// find the queue empty or leave with a key. A few rows fall on the days around the day.

const pad = (n) => String(n).padStart(2, '0');

/** 'YYYY-MM-DD HH:MM:SS' of second s after the local midnight of day (s may be < 0 or >= 86400). */
export function stamp(day, s) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCSeconds(s);
  return `${d.toISOString().slice(0, 10)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SIM_QUEUES = ['billing', 'helpdesk'];
export const PAUSE_REASONS = ['', 'lunch', 'meeting', 'training'];

/**
 * Simulates day (local wall-clock time). Returns { rows: [[time, callid, queue, agent, event,
 * d1, d2, d3, d4, d5]], states: { agent: [[second, code]] }, calls: [{queue, enter, outcome,
 * at, wait, connect?, end?, talk?}] }; seconds count from the day's local midnight.
 */
export function simulateQueueLog(day, seed = 7) {
  const rand = rng(seed);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const rows = [];
  const states = {};
  const calls = [];
  let uid = 1712041200;
  const callid = () => `${uid++}.${int(1, 999)}`;
  const row = (s, cid, queue, agent, event, ...data) => {
    const d = [...data, '', '', '', '', ''].slice(0, 5).map(String);
    rows.push([stamp(day, s), cid, queue, agent, event, ...d]);
  };
  const label = (reason) => (reason ? `PAUSED:${reason}` : 'PAUSED');
  const everyQueue = (s, agent, event, data1 = '') => {
    for (const q of SIM_QUEUES) {
      row(s, 'NONE', q, agent, event, data1);
    }
  };

  for (let i = 1; i <= 5; i++) {
    const agent = `PJSIP/50${i}`;
    const st = [];
    states[agent] = st;
    const stays = i === 5;
    let t = int(7 * 3600, 8 * 3600);
    everyQueue(t, agent, 'ADDMEMBER');
    st.push([t, 'AVAILABLE']);
    let paused = null;
    const endAt = stays ? 23 * 3600 : int(16 * 3600, 18 * 3600);
    while (t < endAt) {
      t += int(5, 120);
      if (paused !== null) {
        everyQueue(t, agent, 'UNPAUSE');
        row(t, 'NONE', 'NONE', agent, 'UNPAUSEALL');
        st.push([t, 'AVAILABLE']);
        paused = null;
        continue;
      }
      const r = rand();
      if (r < 0.55) {
        const queue = pick(SIM_QUEUES);
        if (rand() < 0.3) { // rings first without an answer: no change of state
          row(t, callid(), queue, agent, 'RINGNOANSWER', int(5, 15) * 1000);
          t += 3;
        }
        const wait = int(1, 60);
        const cid = callid();
        const talk = int(20, 600);
        row(t - wait, cid, queue, 'NONE', 'ENTERQUEUE', '', `+49301234${int(100, 999)}`, int(1, 4));
        row(t, cid, queue, agent, 'CONNECT', wait, `${uid++}.${int(1, 999)}`, int(1, 10));
        st.push([t, 'ONCALL']);
        if (rand() < 0.2) { // paused during the call: shows from the call's end
          paused = pick(PAUSE_REASONS);
          everyQueue(t + Math.floor(talk / 2), agent, 'PAUSE', paused);
          row(t + Math.floor(talk / 2), 'NONE', 'NONE', agent, 'PAUSEALL', paused);
        }
        const end = pick(['COMPLETEAGENT', 'COMPLETECALLER', 'COMPLETECALLER', 'TRANSFER', 'BLINDTRANSFER']);
        if (end.endsWith('TRANSFER')) {
          row(t + talk, cid, queue, agent, end, '2000', 'from-internal', wait, talk, 1);
        } else {
          row(t + talk, cid, queue, agent, end, wait, talk, 1);
        }
        calls.push({ queue, enter: t - wait, outcome: 'answered', at: t, wait, connect: t, end: t + talk, talk });
        t += talk;
        st.push([t, paused === null ? 'AVAILABLE' : label(paused)]);
      } else if (r < 0.8) {
        paused = pick(PAUSE_REASONS);
        everyQueue(t, agent, 'PAUSE', paused);
        row(t, 'NONE', 'NONE', agent, 'PAUSEALL', paused);
        st.push([t, label(paused)]);
        t += int(60, 1800);
      }
    }
    if (!stays) {
      t += 5;
      everyQueue(t, agent, 'REMOVEMEMBER');
      st.push([t, 'LOGGEDOUT']);
    }
  }

  // callers nobody answered
  for (const queue of SIM_QUEUES) {
    for (let k = 0; k < 40; k++) {
      const at = int(8 * 3600, 18 * 3600);
      const wait = int(2, 300);
      const outcome = pick(['ABANDON', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY', 'EXITWITHKEY']);
      const cid = callid();
      row(at - wait, cid, queue, 'NONE', 'ENTERQUEUE', '', `+49891234${int(100, 999)}`, int(1, 6));
      if (outcome === 'EXITWITHKEY') {
        row(at, cid, queue, 'NONE', outcome, int(0, 9), int(1, 3), int(1, 6), wait);
      } else {
        row(at, cid, queue, 'NONE', outcome, int(1, 3), int(1, 6), wait);
      }
      calls.push({ queue, enter: at - wait, outcome, at, wait });
    }
  }
  // around the day: an abandon of the evening before, and a caller who joins at 23:59:50 and
  // is answered after midnight (offered on the day, answered on the next)
  const early = callid();
  row(-40, early, 'billing', 'NONE', 'ENTERQUEUE', '', '+4930555', 1);
  row(-20, early, 'billing', 'NONE', 'ABANDON', 1, 1, 20);
  const late = callid();
  row(86390, late, 'helpdesk', 'NONE', 'ENTERQUEUE', '', '+4930666', 1);
  row(86410, late, 'helpdesk', 'PJSIP/505', 'CONNECT', 20, `${uid++}.1`, 2);
  calls.push({ queue: 'helpdesk', enter: 86390, outcome: 'next day', at: 86410, wait: 20 });
  return { rows, states, calls };
}

/** The INSERT statements of rows for a queue_log table (portable SQL, 200 rows each). */
export function queueLogInserts(rows) {
  const q = (v) => `'${String(v).replace(/'/g, "''")}'`;
  const out = [];
  for (let i = 0; i < rows.length; i += 200) {
    out.push('INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3, data4, data5) VALUES\n'
      + rows.slice(i, i + 200).map((r) => `(${r.map(q).join(', ')})`).join(',\n') + ';\n');
  }
  return out.join('');
}

/** Spans of an agent's day as 'HH:MM:SS-HH:MM:SS code' ('open' for a state still going). */
export function expectedSpans(states) {
  const hms = (s) => stamp('2000-01-01', s).slice(11);
  const out = [];
  states.forEach(([t, code], i) => {
    if (code === 'LOGGEDOUT') {
      return;
    }
    const next = states[i + 1];
    out.push(`${hms(t)}-${next ? hms(next[0]) : 'open'} ${code}`);
  });
  return out;
}

/** Per queue and metric of the intervals preset: 'HH:MM=value' of every quarter hour with events. */
export function expectedIntervals(calls) {
  const q15 = (s) => Math.floor(s / 900) * 900;
  const per = {}; // queue -> bucket -> metrics
  const add = (queue, s, metric, v) => {
    if (s < 0 || s >= 86400) {
      return;
    }
    const b = (per[queue] ??= {})[q15(s)] ??= {
      offered: 0, answered: 0, answered_20s: 0, abandoned: 0, timeouts: 0, exit_empty: 0, exit_key: 0,
      completed: 0, answer_wait_s: 0, abandon_wait_s: 0, talk_s: 0,
    };
    b[metric] += v;
  };
  for (const c of calls) {
    add(c.queue, c.enter, 'offered', 1);
    if (c.outcome === 'answered') {
      add(c.queue, c.connect, 'answered', 1);
      add(c.queue, c.connect, 'answered_20s', c.wait <= 20 ? 1 : 0);
      add(c.queue, c.connect, 'answer_wait_s', c.wait);
      add(c.queue, c.end, 'completed', 1);
      add(c.queue, c.end, 'talk_s', c.talk);
    } else if (c.outcome === 'ABANDON') {
      add(c.queue, c.at, 'abandoned', 1);
      add(c.queue, c.at, 'abandon_wait_s', c.wait);
    } else if (c.outcome === 'EXITWITHTIMEOUT') {
      add(c.queue, c.at, 'timeouts', 1);
    } else if (c.outcome === 'EXITEMPTY') {
      add(c.queue, c.at, 'exit_empty', 1);
    } else if (c.outcome === 'EXITWITHKEY') {
      add(c.queue, c.at, 'exit_key', 1);
    }
  }
  const out = {};
  for (const [queue, buckets] of Object.entries(per)) {
    const keys = Object.keys(buckets).map(Number).sort((a, b) => a - b);
    for (const metric of Object.keys(buckets[keys[0]])) {
      out[`${queue} ${metric}`] = keys.map((k) => `${stamp('2000-01-01', k).slice(11, 16)}=${buckets[k][metric]}`).join(' ');
    }
  }
  return out;
}
