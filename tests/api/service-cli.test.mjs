// The service commands on Linux: `serve --console` is the ordinary foreground daemon, while
// `serve --service` and `service install|remove` (Windows' service manager) refuse with a
// message that points to systemd. The Windows side is tested under wine (tests/msi).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { makeTempDir, runCli, startDaemon } from '../lib/daemon.mjs';

test('serve --console runs the daemon in the foreground and stops on SIGTERM', async () => {
  const d = await startDaemon({ args: ['--console'] });
  const code = await d.stop();
  assert.equal(code, 0, d.stderr());
  assert.match(d.stderr(), /stopped/);
});

test('serve --service and service install|remove refuse outside Windows', async () => {
  const dir = await makeTempDir();
  try {
    const svc = await runCli(['serve', '--service', '--data-dir', dir]);
    assert.equal(svc.code, 2, svc.stderr);
    assert.match(svc.stderr, /no Windows service manager here; systemd runs/);
    assert.ok(!fs.existsSync(`${dir}/acdlink.db`), 'serve --service must not start a daemon');
    for (const args of [['service', 'install', '--data-dir', dir], ['service', 'remove']]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /no Windows service manager here: on Linux systemd runs acdlink/);
    }
    const usage = await runCli(['service', 'start']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: acdlink service install \[SETTINGS\] \| service remove/);
    const bad = await runCli(['service', 'install', '--no-such-setting', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--no-such-setting'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
