#!/usr/bin/env node
// Slow and idle clients for 60 s (the full version of tests/api/slow-clients.test.mjs): a
// daemon with its default HTTP settings, 200 idle sockets and 20 slow-header clients that
// reconnect whenever dropped, and a logged-in user's requests on fresh connections. Prints the
// figures as JSON. Loopback only, bounded in time.
// Usage: node bench/slow-clients.mjs [seconds, default 60] [idle, default 200] [slow, default 20]
import { login, startDaemon } from '../tests/lib/daemon.mjs';
import { ROOT } from '../tests/lib/api.mjs';
import { slowClientAttack } from '../tests/lib/slow-clients.mjs';

const [seconds = 60, idle = 200, slow = 20] = process.argv.slice(2).map(Number);
const d = await startDaemon({ users: [ROOT] });
try {
  const session = await login(d, ROOT.name, ROOT.password);
  const r = await slowClientAttack(d, session, { seconds, idle, slow });
  console.log(JSON.stringify(r, null, 1));
  process.exitCode = r.ratio >= 0.95 ? 0 : 1;
} finally {
  await d.stop();
}
