// kill -9 across the reconciliations of a followed growing file (an append-only log such as
// Asterisk's queue_log): a CSV agent-state source follows states.log every second while lines
// are appended to it, also while a run of the days (what its reconciliation queues) reads the
// file whole and stages it in one transaction; the series of tests/lib/follow-reconcile-crash-scenarios.mjs
// (kills aimed into the staging transaction or at random moments of the run, the phase read
// from the run's log after the restart; at the end the staged states and the receiver's are
// exactly the file's, a fresh recomputation changes no agent day, a last run corrects nothing,
// nothing is pending), then kills around the poller's queuing of a reconciliation.
// FILE_FOLLOW_CRASH_ITERATIONS kills (default 6) and 2 around the queuing, CRASH_SEED=N
// repeats a series (scripts/crash-soak runs more).

import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../lib/daemon.mjs';
import { sqlTime } from '../lib/follow-crash-checks.mjs';
import { defineFollowReconcileCrash } from '../lib/follow-reconcile-crash-scenarios.mjs';

const HEADER = 'agent,state,start\n';
let folder;
let file;

const feed = {
  what: 'file',
  appendsWhileRead: true,
  async open() {
    folder = await makeTempDir('acdlink-follow-crash-');
    file = path.join(folder, 'states.log');
    fs.writeFileSync(file, HEADER);
  },
  add(states) { // whole lines, one write
    fs.appendFileSync(file, states.map(([a, t, code]) => `${a},${code},${sqlTime(t)}\n`).join(''));
  },
  count: () => fs.readFileSync(file, 'utf8').split('\n').length - 2, // less the header and the end
  source: (name, reconcile, enabled) => ({
    name, kind: 'csv', product: 'agent_states', time_zone: 'UTC', enabled,
    settings: {
      csv: { folder, pattern: 'states.log*', separator: ',' },
      columns: { agent: 'agent', activity: 'state', start: 'start' },
      agent_states: { span: 'start_only' },
      follow: { file: 'states.log', poll_s: 1, ...reconcile },
    },
  }),
  close() {
    if (folder) {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  },
};

defineFollowReconcileCrash(feed, 'a followed file', Number(process.env.FILE_FOLLOW_CRASH_ITERATIONS || 6), { scheduledKills: 2 });
