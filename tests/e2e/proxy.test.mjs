// The console behind a TLS-terminating reverse proxy: Debian's nginx on loopback, with a
// certificate made by openssl, in front of the daemon serving plain HTTP on loopback with
// public_url set to the proxy's address. Headless Chromium logs in through nginx, changes
// something (creates a user), and logs out: every POST passes the Origin check only because
// the daemon compares it with public_url, and the session cookie is Secure.
//
// nginx runs unprivileged (as nobody when the test runs as root) in the foreground, with its
// configuration, pid, logs and temporary files in a temporary folder.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser } from '../lib/browser.mjs';
import { freePort, makeTempDir, runCli, startDaemon } from '../lib/daemon.mjs';

const NGINX = '/usr/sbin/nginx';
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-proxy-long' };
const NOBODY = 65534;

let daemon;
let nginx;
let work;
let proxyPort;
let proxyCa;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${err}`))));
  });
}

// One request through the proxy; resolves {status, headers, body}, or null when nothing answers.
function probe(urlPath, headers = {}, method = 'GET', body = null) {
  return new Promise((resolve) => {
    const req = https.request({
      host: '127.0.0.1', port: proxyPort, path: urlPath, method, ca: proxyCa, servername: 'localhost',
      headers, agent: false, timeout: 2000,
    }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

before(async () => {
  assert.ok(fs.existsSync(NGINX), `${NGINX} is missing: install Debian's nginx package (scripts/install-deps)`);
  work = await makeTempDir('acdlink-e2e-nginx-');
  const key = path.join(work, 'key.pem');
  const cert = path.join(work, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  proxyCa = await fsp.readFile(cert, 'utf8');

  proxyPort = await freePort();
  const publicUrl = `https://localhost:${proxyPort}/`;
  // Unsafe combinations are refused at start, with what to do.
  const refused = await runCli(['serve', '--data-dir', path.join(work, 'refused'), '--plain-http',
    '--listen', '0.0.0.0:1']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /plain_http on 0\.0\.0\.0:1, which is not a loopback address.*public_url/s);

  daemon = await startDaemon({ users: [ADMIN], plainHttp: true, args: ['--public-url', publicUrl] });

  const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/error.log info;
events { worker_connections 128; }
http {
  access_log ${work}/access.log;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  server {
    listen 127.0.0.1:${proxyPort} ssl;
    server_name localhost;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / {
      proxy_pass http://127.0.0.1:${daemon.port};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
`;
  await fsp.writeFile(path.join(work, 'nginx.conf'), conf);
  const opts = { stdio: ['ignore', 'pipe', 'pipe'] };
  if (process.getuid && process.getuid() === 0) {
    // never as root: the folder and its files go to nobody, who runs nginx
    for (const f of await fsp.readdir(work)) {
      await fsp.chown(path.join(work, f), NOBODY, NOBODY);
    }
    await fsp.chown(work, NOBODY, NOBODY);
    opts.uid = NOBODY;
    opts.gid = NOBODY;
  }
  let nginxErr = '';
  nginx = spawn(NGINX, ['-p', work, '-e', path.join(work, 'error.log'), '-c', path.join(work, 'nginx.conf')], opts);
  nginx.stderr.on('data', (d) => { nginxErr += d; });
  const deadline = Date.now() + 15000;
  for (;;) {
    const r = await probe('/api/v1/health');
    if (r && r.status === 200) {
      break;
    }
    assert.ok(nginx.exitCode === null, `nginx exited: ${nginxErr}`);
    assert.ok(Date.now() < deadline, `nginx did not proxy /api/v1/health within 15 s: ${nginxErr}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  ({ context, page, profileDir } = await launchBrowser({ ca: proxyCa }, {
    timezoneId: 'UTC', pageErrors, cspViolations,
  }));
});

after(async () => {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGTERM');
  }
  if (daemon) {
    await daemon.stop();
  }
  if (work) {
    await fsp.rm(work, { recursive: true, force: true });
  }
});

test('through nginx: log in, create a user, log out; the cookie is Secure', async () => {
  const base = `https://localhost:${proxyPort}`;
  const response = await page.goto(`${base}/`);
  assert.equal(response.status(), 200);
  await page.locator('[data-testid="login-page"]').waitFor();
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="home-page"]').waitFor();
  await page.click('#nav-users');
  await page.locator('[data-testid="users-page"]').waitFor();

  const cookies = await context.cookies(base);
  const session = cookies.find((c) => /acdlink_session$/.test(c.name));
  assert.ok(session, `no session cookie: ${JSON.stringify(cookies)}`);
  assert.equal(session.name, '__Host-acdlink_session');
  assert.equal(session.secure, true);
  assert.equal(session.httpOnly, true);

  await page.fill('#user-create-name', 'via-proxy');
  await page.selectOption('#user-create-role', 'viewer');
  await page.fill('#user-create-password', 'via-proxy-Passw0rd-long');
  await page.click('#user-create-submit');
  await page.locator('[data-testid="user-row"][data-name="via-proxy"]').waitFor();

  await page.click('#logout');
  await page.locator('[data-testid="login-page"]').waitFor();
  await page.goto(`${base}/#/users`);
  await page.locator('[data-testid="login-page"]').waitFor();
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('through nginx: a POST from another origin is refused', async () => {
  const body = JSON.stringify({ username: ADMIN.name, password: ADMIN.password });
  const r = await probe('/api/v1/auth/login', { Origin: 'https://evil.example', 'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body) }, 'POST', body);
  assert.ok(r, 'no answer');
  assert.equal(r.status, 403, r.body);
  assert.match(r.body, /csrf_failed/);
  const log = await fsp.readFile(path.join(work, 'access.log'), 'utf8');
  assert.match(log, /POST \/api\/v1\/users/, 'the user was created through nginx');
});
