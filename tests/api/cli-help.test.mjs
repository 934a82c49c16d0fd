// The command line's conventions: `acdlink SUBCOMMAND --help` prints that subcommand's usage
// and exits 0 for every subcommand; each subcommand has a manual page (section 1) that groff
// renders without a warning and that names every option the usage names; `acdlink token
// create` makes a working API token on the machine, shown once and recorded in the audit log.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, bearer, runCli } from '../lib/daemon.mjs';
import { ROOT, assertStatus, show, startWithAdmin } from '../lib/api.mjs';

// Every subcommand main.c dispatches on ("help" is documented by each page and acdlink(8)).
function subcommands() {
  const main = fs.readFileSync(path.join(REPO_ROOT, 'daemon', 'main.c'), 'utf8');
  const names = new Set();
  for (const m of main.matchAll(/!strcmp\(cmd, "([a-z][a-z-]*)"\)/g)) {
    names.add(m[1]);
  }
  names.delete('help');
  return [...names].sort();
}

const MAN_DIR = path.join(REPO_ROOT, 'docs', 'man');

/** The options of a text: --word tokens (roff writes them as \-\-word). */
function optionsOf(text) {
  return new Set([...text.replaceAll('\\-', '-').matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));
}

test('every subcommand answers --help with its usage on standard output and exit code 0', async () => {
  const subs = subcommands();
  assert.ok(subs.length >= 10, `subcommands found in main.c: ${subs}`);
  for (const sub of subs) {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([sub, flag]);
      assert.equal(r.code, 0, `acdlink ${sub} ${flag}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: acdlink ${sub}\\b`), `acdlink ${sub} ${flag}`);
      assert.equal(r.stderr, '', `acdlink ${sub} ${flag} writes nothing to standard error`);
    }
    const deep = await runCli(sub === 'config' ? ['config', 'apply', '--help'] : [sub, 'x', '--help']);
    assert.equal(deep.code, 0, `acdlink ${sub} ... --help: ${deep.stderr}`);
    const viaHelp = await runCli(['help', sub]);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, new RegExp(`^Usage: acdlink ${sub}\\b`));
  }
  const unknown = await runCli(['help', 'nonsense']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no subcommand 'nonsense'/);
  const bare = await runCli(['config']);
  assert.equal(bare.code, 2, 'config without a verb is a usage error');
  assert.match(bare.stderr, /Usage: acdlink config export/);
});

test('each subcommand has a manual page that renders without warnings and names its options', async () => {
  const groff = spawnSync('groff', ['--version']);
  assert.equal(groff.status, 0, 'groff (package groff-base) is needed to check the manual pages');
  for (const sub of subcommands()) {
    const file = path.join(MAN_DIR, `acdlink-${sub}.1`);
    assert.ok(fs.existsSync(file), `${file} is missing`);
    const src = fs.readFileSync(file, 'utf8');
    const th = `.TH ACDLINK\\-${sub.toUpperCase().replaceAll('-', '\\-')} 1 `;
    assert.ok(src.includes(th), `${file}: .TH names the page in section 1 (${th})`);
    const r = spawnSync('groff', ['-man', '-ww', '-z', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.equal(r.stderr, '', `groff -ww warns about ${file}`);
    const usage = await runCli([sub, '--help']);
    const inPage = optionsOf(src);
    for (const opt of optionsOf(usage.stdout)) {
      if (opt === '--key') {
        continue; // "--key value" is the form of every setting, named in SETTINGS
      }
      assert.ok(inPage.has(opt), `acdlink-${sub}.1 does not describe ${opt} (acdlink ${sub} --help names it)`);
    }
  }
  const listed = fs.readFileSync(path.join(REPO_ROOT, 'packaging', 'deb', 'debian', 'acdlink.manpages'), 'utf8');
  assert.match(listed, /^docs\/man\/\*\.1$/m, 'the .deb installs docs/man/*.1');
});

test('token create makes a working API token, printed once, recorded in the audit log', async (t) => {
  const { d, admin } = await startWithAdmin();
  t.after(() => d.stop());
  const made = await runCli(['token', 'create', 'deploy-bot', '--role', 'operator', '--expires', '30',
    '--data-dir', d.dataDir]);
  assert.equal(made.code, 0, made.stderr);
  const secret = made.stdout.trim();
  assert.match(secret, /^acdl_\S+$/, 'standard output is the secret alone');
  assert.match(made.stderr, /made the token 'deploy-bot' \(operator, owned by root, expires in 30 days\)/);

  const bot = bearer(d, secret);
  assertStatus(await bot.get('/api/v1/queues'), 200);
  const users = await bot.get('/api/v1/users');
  assert.equal(users.status, 403, `an operator token may not list users: ${show(users)}`);

  const list = await admin.get('/api/v1/tokens');
  assertStatus(list, 200);
  const row = list.body.items.find((x) => x.name === 'deploy-bot');
  assert.ok(row, show(list));
  assert.equal(row.role, 'operator');
  assert.equal(row.created_by, 'acdlink token');
  const days = (Date.parse(row.expires_at) - Date.parse(row.created_at)) / 86400000;
  assert.equal(days, 30, `expires_at ${row.expires_at}`);
  assert.ok(!JSON.stringify(list.body).includes(secret), 'the secret is never listed');

  const audit = await admin.get('/api/v1/audit?action=token.create');
  assertStatus(audit, 200);
  const entry = audit.body.items.find((x) => x.target === 'deploy-bot');
  assert.ok(entry, show(audit));
  assert.equal(entry.actor, 'acdlink token');
  assert.equal(entry.detail.owner, ROOT.name);
  assert.equal(entry.detail.role, 'operator');

  // usage errors name what is wrong
  for (const [args, re] of [
    [['token', 'create', 'x', '--data-dir', d.dataDir], /--role is required/],
    [['token', 'create', 'x', '--role', 'boss', '--data-dir', d.dataDir], /--role is required and must be admin/],
    [['token', 'create', 'x', '--role', 'viewer', '--expires', '0', '--data-dir', d.dataDir], /--expires: '0' is no number of days/],
    [['token', 'list'], /usage: acdlink token create/],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const noOwner = await runCli(['token', 'create', 'x', '--role', 'viewer', '--owner', 'nobody', '--data-dir', d.dataDir]);
  assert.equal(noOwner.code, 1);
  assert.match(noOwner.stderr, /--owner: no user named 'nobody'/);

  // the API makes tokens that expire, too
  const api = await admin.post('/api/v1/tokens', { name: 'short', role: 'viewer', expires_in_days: 1 });
  assertStatus(api, 201);
  assert.equal((Date.parse(api.body.expires_at) - Date.parse(api.body.created_at)) / 86400000, 1);
  const bad = await admin.post('/api/v1/tokens', { name: 'short', role: 'viewer', expires_in_days: 0 });
  assert.equal(bad.status, 422, show(bad));
});
