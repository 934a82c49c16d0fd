// pg.mjs: a throwaway PostgreSQL cluster for a test file (tests/lib/pg.sh run) and psql on it.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertStatus } from './api.mjs';
import { REPO_ROOT } from './daemon.mjs';

export const PG_PASSWORD = 'pw;with{braces}=x'; // pg.sh's default

/**
 * Starts a cluster; resolves to {port, dir, proc, psql(text), stop()}. The cluster goes away
 * when stop() closes pg.sh's standard input (or the test process ends).
 */
export function startPg() {
  return new Promise((resolve, reject) => {
    const proc = spawn('sh', [path.join(REPO_ROOT, 'tests/lib/pg.sh'), 'run'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (b) => {
      out += b;
      const p = /PORT (\d+)/.exec(out);
      const dd = /DIR (\S+)/.exec(out);
      if (p && dd) {
        const port = Number(p[1]);
        const dir = dd[1];
        const bin = fs.readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/psql`).find((f) => fs.existsSync(f));
        const args = ['-q', '-h', dir, '-p', String(port), '-U', 'app', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1'];
        resolve({
          port,
          dir,
          proc,
          bin,
          args,
          psql: (text) => execFileSync(bin, [...args, '-At', '-c', text], { encoding: 'utf8' }).trim(),
          stop: () => proc.stdin.end(),
        });
      }
    });
    proc.on('exit', (code) => reject(new Error(`pg.sh exited with ${code} (is PostgreSQL installed?)`)));
  });
}

/** A database timestamp ('YYYY-MM-DD HH:MM:SS', UTC) s seconds later, as ISO-8601 with Z. */
export const addS = (ts, s) => new Date(Date.parse(`${ts.replace(' ', 'T')}Z`) + s * 1000).toISOString().replace('.000Z', 'Z');

/**
 * The time of pg's database offsetS seconds from now ('YYYY-MM-DD HH:MM:SS'), moved earlier
 * where needed so that the spanS seconds after it stay on one UTC day: a test's states are of
 * one day at any hour it runs.
 */
export function dbDayTime(pg, offsetS, spanS) {
  const t = pg.psql(`SELECT to_char(date_trunc('second', localtimestamp) + interval '${offsetS} seconds', 'YYYY-MM-DD HH24:MI:SS')`);
  const end = addS(t, spanS);
  if (end.slice(0, 10) === t.slice(0, 10)) {
    return t;
  }
  return addS(`${end.slice(0, 10)} 00:00:00`, -(spanS + 60)).replace('T', ' ').replace('Z', '');
}

/**
 * A followed agent-state source on the table ev (agent, state, started) through psqlODBC at
 * conn: start-only states, polled every second on the cursor started with overlapS seconds of
 * overlap, where an extra SQL condition ('' for none). Its external ids agents are mapped to
 * AGENT@example.com and its codes ([[code, activity]]) to activities before it is enabled.
 */
export async function followedPgSource(admin, { name, conn, agents, codes, overlapS, where = '' }) {
  const sql = `SELECT agent, state, started FROM ev WHERE ${where ? `${where} AND ` : ''}started >= :since AND started < :until ORDER BY started`;
  const src = (await admin.post('/api/v1/sources', {
    name, kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: PG_PASSWORD, enabled: false,
    settings: {
      odbc: { connection_string: conn, user: 'app', sql },
      agent_states: { span: 'start_only' },
      incremental: { cursor_column: 'started', poll_s: 1, overlap_s: overlapS, reconcile_minutes: 0 },
    },
  })).body;
  assert.ok(src.id, JSON.stringify(src));
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: agents.map((a) => `${a};${a}@example.com`).join('\n') }), 200);
  for (const [code, activity] of codes) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity }), 200);
  }
  // followed once its agents and codes are mapped
  assertStatus(await admin.patch(`/api/v1/sources/${src.id}`, { enabled: true }), 200);
  return src;
}
