// Load beside imports: a CSV source with many mappings whose files are rewritten and imported
// again and again, while clients log in, list, edit mappings and log out. Used by the API test
// of busy answers (tests/api/busy.test.mjs) and the memory soak (bench/soak.mjs).

import fs from 'node:fs';
import path from 'node:path';
import { createUser, pw, show, sleep } from './api.mjs';
import { login } from './daemon.mjs';
import { HEADER } from './pipeline.mjs';

const METRICS = ['offered', 'handled', 'aht'];

function dayName(start, i) {
  const d = new Date(`${start}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + i);
  return d.toISOString().slice(0, 10);
}

/** Writes one file per day (queues x 96 quarter-hours); round changes every value. */
export function writeDays(folder, { queues, days, start, round }) {
  for (let i = 0; i < days; i++) {
    const day = dayName(start, i);
    const out = [HEADER];
    for (let q = 0; q < queues; q++) {
      for (let k = 0; k < 96; k++) {
        const hhmm = `${String(Math.floor(k / 4)).padStart(2, '0')}:${String((k % 4) * 15).padStart(2, '0')}`;
        const offered = ((q * 7 + k * 3 + round) % 40) + 1;
        const handled = Math.max(0, offered - ((k + round) % 3));
        out.push(`${1000 + q},Queue ${1000 + q},${day},${hhmm},${offered},${handled},${100 + ((q + k + round) % 200)}`);
      }
    }
    out.push('');
    fs.writeFileSync(path.join(folder, `day-${day}.csv`), out.join('\n'));
  }
}

/**
 * Sets up the source, WFM queues and `mappedQueues` x 3 mappings through admin, and `clients`
 * users. Resolves {source, mappings: [ids], users: [{name, password}]}.
 */
export async function setupLoad(admin, folder, { mappedQueues, clients }) {
  const source = await admin.post('/api/v1/sources', {
    name: 'Load ACD', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, date_order: 'ymd' },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  if (source.status !== 201) {
    throw new Error(`source: ${show(source)}`);
  }
  const mappings = [];
  for (let q = 0; q < mappedQueues; q++) {
    const wq = await admin.post('/api/v1/queues', { identifier: `L${q}`, name: `Load ${q}`, time_zone: 'UTC' });
    if (wq.status !== 201) {
      throw new Error(`queue: ${show(wq)}`);
    }
    for (const vt of METRICS) {
      const m = await admin.post('/api/v1/mappings', {
        queue_id: wq.body.id, value_type: vt,
        inputs: [{ source_id: source.body.id, ext_queue: String(1000 + q), metric: vt }],
      });
      if (m.status !== 201) {
        throw new Error(`mapping: ${show(m)}`);
      }
      if (vt !== 'aht') {
        mappings.push(m.body.id);
      }
    }
  }
  const users = [];
  for (let i = 0; i < clients; i++) {
    const name = `load-${i}`;
    await createUser(admin, name, 'operator', pw(name));
    users.push({ name, password: pw(name) });
  }
  return { source: source.body, mappings, users };
}

/**
 * Runs until stop() says so: one loop rewriting the files and importing the period, and one
 * loop per user logging in, reading, editing a mapping's formula and logging out. Every answer
 * is counted by status in stats.status; answers >= 500 (and 503s) are kept in stats.errors;
 * stats.slowestEditMs and stats.slowestLoginMs are the longest a mapping edit and a login took.
 */
export async function runLoad(d, admin, setup, { queues, days, start, stop, live = {} }) {
  const stats = Object.assign(live, { status: {}, errors: [], requests: 0, runs: 0, runStates: {}, logins: 0, slowestEditMs: 0, slowestLoginMs: 0 });
  const count = (what, r) => {
    stats.requests++;
    stats.status[r.status] = (stats.status[r.status] || 0) + 1;
    if (r.status >= 500) {
      stats.errors.push(`${what}: ${show(r).slice(0, 300)}`);
    }
    return r;
  };
  const importer = async () => {
    for (let round = 1; !stop(); round++) {
      writeDays(setup.folder, { queues, days, start, round });
      const r = count('POST /runs', await admin.post('/api/v1/runs', {
        source_id: setup.source.id, from: start, to: dayName(start, days - 1),
      }));
      if (r.status !== 202) {
        continue;
      }
      for (;;) {
        const g = count('GET /runs/{id}', await admin.get(`/api/v1/runs/${r.body.id}`));
        if (g.status === 200 && ['done', 'failed', 'cancelled'].includes(g.body.state)) {
          stats.runs++;
          stats.runStates[g.body.state] = (stats.runStates[g.body.state] || 0) + 1;
          break;
        }
        await sleep(200); // polls the run's state (the condition) at a steady pace
      }
    }
  };
  const editor = async (u, i) => {
    for (let k = 0; !stop(); k++) {
      const t0 = Date.now();
      const s = await login(d, u.name, u.password).catch((e) => {
        stats.errors.push(`login ${u.name}: ${e.message.slice(0, 300)}`);
        return null;
      });
      stats.requests++;
      if (!s) {
        continue;
      }
      stats.logins++;
      stats.slowestLoginMs = Math.max(stats.slowestLoginMs, Date.now() - t0);
      stats.status[200] = (stats.status[200] || 0) + 1;
      // a console session: a few rounds of reading and editing per login
      for (let j = 0; j < 5 && !stop(); j++) {
        const id = setup.mappings[(i * 7 + k * 5 + j) % setup.mappings.length];
        count('GET /mappings', await s.get('/api/v1/mappings?limit=100'));
        count('GET /mappings/{id}', await s.get(`/api/v1/mappings/${id}`));
        const t1 = Date.now();
        count('PATCH /mappings/{id}', await s.patch(`/api/v1/mappings/${id}`, { formula: `p1 + ${(k + j) % 3}` }));
        stats.slowestEditMs = Math.max(stats.slowestEditMs, Date.now() - t1);
        count('GET /runs', await s.get('/api/v1/runs?limit=20'));
        count('GET /backlog', await s.get('/api/v1/backlog'));
      }
      count('POST /auth/logout', await s.post('/api/v1/auth/logout'));
      s.close();
    }
  };
  await Promise.all([importer(), ...setup.users.map((u, i) => editor(u, i))]);
  return stats;
}

/** Resident set size of pid in KiB (Linux), or null. */
export function rssKiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
