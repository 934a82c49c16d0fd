#!/usr/bin/env node
// The demo's stand-in for an ACD export job: keeps the "Demo ACD" folder current. At start
// and then 20 seconds after every quarter-hour it rewrites the files of the demo days that
// changed (today's file with the intervals up to the last complete quarter-hour; after
// midnight yesterday's last interval; after a pause the missed days). The source's "every 15
// minutes" schedule imports today; the feed starts runs (REST API) only for past days that
// changed, or for everything when the source has no such schedule.
//
//   node scripts/demo-feed.mjs [--url https://localhost:8443] [--data-dir acdlink-data]
//                              [--token-file DATA/demo-feed-token] [--pid DAEMON_PID] [--once]
//
// Authenticates with the operator token that scripts/demo.mjs stored in DATA/demo-feed-token.
// Bounded: it stops by itself when the daemon stops answering (three health checks 30 s apart
// fail) or when the process --pid is gone; Ctrl-C (SIGINT) or SIGTERM stop it at once. It
// exits 0 without doing anything when there is no "Demo ACD" source.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEMO_SOURCE, FEED_TOKEN_FILE, addDays, client, demoDays, describeCounts, nodeTooOld, nowInZone,
  parseArgs, readCa, waitRun, writeDayFiles,
} from './demo.mjs';

const QUARTER_MS = 15 * 60 * 1000;
const HEALTH_EVERY_MS = 30 * 1000;
const HEALTH_FAILURES_MAX = 3;

const USAGE = `usage: node scripts/demo-feed.mjs [--url https://localhost:8443] [--data-dir acdlink-data]
                                 [--token-file FILE] [--pid DAEMON_PID] [--delay-seconds 20] [--once]`;

function stamp() {
  return new Date().toISOString().slice(11, 19);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Writes what changed; imports it unless the schedule does: with a schedule only past days
 *  (a pause, or yesterday's last interval at midnight) need a run of their own. */
export async function feedOnce(api, source, log) {
  const tz = source.time_zone;
  const { today, completeBefore } = nowInZone(Date.now(), tz);
  const changed = writeDayFiles(source.settings.csv.folder, demoDays(today), completeBefore, tz);
  if (changed.length === 0) {
    return null;
  }
  const wrote = `wrote ${changed.length > 2 ? `${changed[0]} .. ${changed[changed.length - 1]}` : changed.join(', ')}`;
  const from = changed[0];
  const to = source.scheduled ? addDays(today, -1) : today;
  if (from > to) {
    log(`[feed ${stamp()}] ${wrote}; the schedule imports it`);
    return null;
  }
  const r = await api.post('/api/v1/runs', { source_id: source.id, from, to });
  if (r.status !== 202) {
    const e = r.body && r.body.error;
    log(`[feed ${stamp()}] ${wrote}; could not start a run: ${r.status} ${e ? e.message : ''}`);
    return null;
  }
  const run = await waitRun(api, r.body.id, 10 * 60 * 1000);
  log(`[feed ${stamp()}] ${wrote}; run #${run.id} ${from} .. ${to} ${run.state}: ${describeCounts(run.counts)}`);
  return run;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2), {
      defaults: {
        url: 'https://localhost:8443', dataDir: 'acdlink-data', tokenFile: null, pid: null,
        delaySeconds: '20', once: false,
      },
      flags: ['once'],
    });
  } catch (err) {
    console.error(`demo-feed: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (nodeTooOld()) {
    console.log(`demo-feed: Node ${process.versions.node} is too old (18 or later is needed).`);
    return 0;
  }
  const log = (line) => console.log(line);
  const url = opts.url.replace(/\/+$/, '');
  const pid = opts.pid === null ? null : Number(opts.pid);
  const delayMs = Math.max(0, Math.min(600, Number(opts.delaySeconds) || 0)) * 1000;
  const tokenFile = opts.tokenFile || path.join(opts.dataDir, FEED_TOKEN_FILE);
  let token;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch {
    console.log(`demo-feed: no token in ${tokenFile} (scripts/demo.mjs writes it); not feeding.`);
    return 0;
  }

  let api;
  try {
    api = client({ url, ca: readCa(url, opts.dataDir), token });
  } catch (err) {
    console.error(`demo-feed: ${err.message}`);
    return 1;
  }
  // files are written beside and renamed into place, so stopping at any moment is safe
  const onSignal = (sig) => {
    console.log(`demo-feed: ${sig}; stopped.`);
    process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  // the daemon may still be starting
  for (let i = 0; !(await api.health()); i++) {
    if (i >= 60 || (pid !== null && !alive(pid))) {
      console.log(`demo-feed: the daemon does not answer on ${url}; not feeding.`);
      return 0;
    }
    await sleep(500);
  }
  let source;
  try {
    const r = await api.get('/api/v1/sources?limit=500');
    if (r.status !== 200) {
      const e = r.body && r.body.error;
      console.log(`demo-feed: cannot list sources (${r.status} ${e ? e.message : ''}); is the token in ${tokenFile} revoked?`);
      return 0;
    }
    source = r.body.items.find((s) => s.name === DEMO_SOURCE);
    if (!source) {
      console.log(`demo-feed: no source "${DEMO_SOURCE}" (scripts/demo.mjs creates it); not feeding.`);
      return 0;
    }
    const sch = await api.get('/api/v1/schedules?limit=500');
    source.scheduled = sch.status === 200 && Array.isArray(sch.body.items) &&
      sch.body.items.some((s) => s.source && s.source.id === source.id && s.kind === 'every' && s.enabled);
  } catch (err) {
    console.error(`demo-feed: ${err.message}`);
    return 1;
  }

  log(`demo-feed: writing "${DEMO_SOURCE}" files into ${source.settings.csv.folder} every 15 minutes` +
      `${source.scheduled ? ' (its schedule imports them)' : ' and importing them'}; Ctrl-C stops it.`);
  let failures = 0;
  let next = 0;
  let nextHealth = 0;
  for (;;) {
    if (pid !== null && !alive(pid)) {
      log('demo-feed: the daemon has stopped; so does the feed.');
      break;
    }
    if (Date.now() >= next) {
      next = Math.floor(Date.now() / QUARTER_MS) * QUARTER_MS + QUARTER_MS + delayMs;
      try {
        await feedOnce(api, source, log);
      } catch (err) {
        log(`[feed ${stamp()}] ${err.message}`);
      }
      if (opts.once) {
        break;
      }
      nextHealth = Date.now() + HEALTH_EVERY_MS;
    }
    if (Date.now() >= nextHealth) {
      nextHealth = Date.now() + HEALTH_EVERY_MS;
      if (await api.health()) {
        failures = 0;
      } else if (++failures >= HEALTH_FAILURES_MAX) {
        log(`demo-feed: the daemon has not answered on ${url} for ${failures} checks; the feed stops.`);
        break;
      }
    }
    await sleep(1000);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exit(code); });
}
