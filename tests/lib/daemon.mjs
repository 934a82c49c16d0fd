// Test harness: starts a real acdlink daemon on a loopback port and talks to it over verified TLS.
//
// Design note: every test file starts its own daemon with its own temporary data directory, so
// files can run in parallel (node --test) and no test sees another's users, tokens or lockouts.
// Everything is spawned with argv arrays (never a shell). The HTTP client is deliberately small:
// node's http/https with the daemon's own self-signed certificate as the only trusted CA, a cookie
// jar, automatic X-CSRF-Token on state-changing requests once logged in, and an optional
// keep-alive agent that reports whether a request reused its socket.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { specViolations } from './schema.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const STARTUP_TIMEOUT_MS = Number(process.env.ACDL_TEST_STARTUP_MS) || 15000;
const STOP_KILL_AFTER_MS = 10000;

/** Path of the daemon binary: $ACDLINK_BIN or <repo>/build/acdlink (.exe on Windows). */
export function findBinary() {
  if (process.env.ACDLINK_BIN) {
    return path.resolve(process.env.ACDLINK_BIN);
  }
  const exe = process.platform === 'win32' ? 'acdlink.exe' : 'acdlink';
  return path.join(REPO_ROOT, 'build', exe);
}

/** True when the binary exists (tests may use this to give a clear message). */
export function binaryExists() {
  try {
    fs.accessSync(findBinary(), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A fresh temporary directory (caller removes it, or lets stop() do it). */
export async function makeTempDir(prefix = 'acdlink-test-') {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * Runs the acdlink binary once with argv `args`; resolves {code, signal, stdout, stderr}.
 * `stdin` (string) is written and the pipe closed. Never rejects on a non-zero exit.
 */
export function runCli(args, { stdin = null, env = {}, timeoutMs = Number(process.env.ACDL_TEST_CLI_MS) || 30000, bin = findBinary() } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the child may exit before reading stdin
    if (stdin !== null) {
      child.stdin.end(stdin);
    } else {
      child.stdin.end();
    }
  });
}

/** `acdlink user add NAME --role R --password-stdin --data-dir DIR`; throws on failure. */
export async function addUser(dataDir, { name, role, password }, { bin = findBinary(), env = {} } = {}) {
  const r = await runCli(
    ['user', 'add', name, '--role', role, '--password-stdin', '--data-dir', dataDir],
    { stdin: `${password}\n`, bin, env },
  );
  if (r.code !== 0) {
    throw new Error(`acdlink user add ${name} failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  }
  return r;
}

/**
 * The folder tests keep their CSV folders in (the system's temporary folder, resolved): every
 * daemon and command the tests start has it as its import and export root, so sources and
 * csv-export targets may use folders made with makeTempDir() (but never a data folder).
 */
export const TEST_ROOT = fs.realpathSync(os.tmpdir());

/**
 * The environment for a child: ours without any ACDLINK_* variable (so a developer's settings
 * cannot change test results; the daemon also refuses unknown ACDLINK_* names), the test roots
 * (TEST_ROOT), plus `extra`.
 */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ACDLINK_')) {
      env[k] = v;
    }
  }
  return { ...env, ACDLINK_IMPORT_ROOTS: TEST_ROOT, ACDLINK_EXPORT_ROOTS: TEST_ROOT, ...extra };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** One GET /api/v1/health probe; resolves true on any HTTP answer, false on connection errors. */
function probeHealth({ port, plainHttp, ca }) {
  return new Promise((resolve) => {
    const mod = plainHttp ? http : https;
    const opts = {
      host: '127.0.0.1',
      port,
      path: '/api/v1/health',
      method: 'GET',
      agent: false,
      timeout: 2000,
    };
    if (!plainHttp) {
      opts.ca = ca;
      opts.servername = 'localhost';
    }
    const req = mod.request(opts, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function looksLikeBindError(text) {
  return /address (already )?in use|EADDRINUSE|cannot bind|bind\(\) failed|failed to bind/i.test(text);
}

/**
 * Starts `acdlink serve --data-dir DIR --listen 127.0.0.1:PORT ...args` and waits until
 * GET /api/v1/health answers 200.
 *
 * Options:
 *   args      extra argv for `serve`
 *   env       extra environment
 *   users     [{name, role, password}] added with `acdlink user add` before the start
 *   plainHttp pass --plain-http and talk plain HTTP
 *   dataDir   use this directory instead of a fresh temporary one (it is then not deleted)
 *   keepDataDir  do not delete the temporary directory in stop()
 *   cwd       the daemon's working folder (default: the test's)
 *
 * Returns {url, port, dataDir, ca, bin, proc, plainHttp, stderr(), stdout(), exited,
 *          initialAdminPassword(), stop(signal) -> exit code (or signal name)}.
 */
export async function startDaemon({
  args = [],
  env = {},
  users = [],
  plainHttp = false,
  dataDir = null,
  keepDataDir = false,
  cwd = undefined,
} = {}) {
  const bin = findBinary();
  if (!fs.existsSync(bin)) {
    throw new Error(`acdlink binary not found at ${bin} (build it, or set ACDLINK_BIN)`);
  }
  const ownDir = dataDir === null;
  const dir = ownDir ? await makeTempDir() : dataDir;
  for (const u of users) {
    await addUser(dir, u, { bin, env });
  }

  let lastError = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOnce({ bin, dir, port, args, env, plainHttp, ownDir, keepDataDir, cwd });
    } catch (err) {
      lastError = err;
      if (!err.bindError) {
        break;
      }
    }
  }
  if (ownDir && !keepDataDir) {
    await fsp.rm(dir, { recursive: true, force: true });
  }
  throw lastError;
}

async function startOnce({ bin, dir, port, args, env, plainHttp, ownDir, keepDataDir, cwd }) {
  const argv = ['serve', '--data-dir', dir, '--listen', `127.0.0.1:${port}`];
  if (plainHttp) {
    argv.push('--plain-http');
  }
  argv.push(...args);
  const proc = spawn(bin, argv, {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let stderrText = '';
  let stdoutText = '';
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderrText += d; });
  proc.stdout.on('data', (d) => { stdoutText += d; });

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  proc.on('error', (err) => {
    stderrText += `\n[spawn error] ${err.message}`;
    if (!exitInfo) {
      exitInfo = { code: null, signal: null, error: err };
    }
  });

  const certPath = path.join(dir, 'tls', 'cert.pem');
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let ca = null;
  for (;;) {
    if (exitInfo) {
      // Let the pipes drain so the message is complete.
      await sleep(50);
      const err = new Error(
        `acdlink serve exited during start-up (code ${exitInfo.code}, signal ${exitInfo.signal}); ` +
        `argv: ${JSON.stringify(argv)}\nstderr:\n${stderrText}\nstdout:\n${stdoutText}`,
      );
      err.bindError = looksLikeBindError(stderrText);
      err.exitCode = exitInfo.code;
      err.stderr = stderrText;
      throw err;
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      await exited;
      throw new Error(
        `acdlink serve did not answer GET /api/v1/health within ${STARTUP_TIMEOUT_MS} ms; ` +
        `argv: ${JSON.stringify(argv)}\nstderr:\n${stderrText}`,
      );
    }
    if (!plainHttp && ca === null) {
      try {
        ca = await fsp.readFile(certPath, 'utf8');
        if (!ca.includes('END CERTIFICATE')) {
          ca = null; // still being written
        }
      } catch {
        ca = null;
      }
    }
    if (plainHttp || ca !== null) {
      if (await probeHealth({ port, plainHttp, ca })) {
        break;
      }
      ca = null; // read it again: a start that finishes a restore replaces the certificate
    }
    await sleep(100);
  }

  const daemon = {
    url: `${plainHttp ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    dataDir: dir,
    ca,
    bin,
    proc,
    plainHttp,
    argv,
    exited,
    stderr: () => stderrText,
    stdout: () => stdoutText,
    exitInfo: () => exitInfo,
    /** Contents of DIR/initial-admin-password (trimmed) or null. */
    initialAdminPassword() {
      try {
        return fs.readFileSync(path.join(dir, 'initial-admin-password'), 'utf8').trim();
      } catch {
        return null;
      }
    },
    /** Sends `signal` and waits for the exit; resolves the exit code (or the signal name). */
    async stop(signal = 'SIGTERM') {
      if (!exitInfo) {
        proc.kill(signal);
        const timer = setTimeout(() => {
          if (!exitInfo) {
            proc.kill('SIGKILL');
          }
        }, STOP_KILL_AFTER_MS);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir && !keepDataDir) {
        await fsp.rm(dir, { recursive: true, force: true });
      }
      return exitInfo.code !== null ? exitInfo.code : exitInfo.signal;
    },
  };
  return daemon;
}

// ---------------------------------------------------------------------------------------------
// HTTP client

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Parses one Set-Cookie header into {name, value, attrs: {lowercased name: value|true}}. */
export function parseSetCookie(header) {
  const parts = header.split(';').map((p) => p.trim());
  const first = parts.shift();
  const eq = first.indexOf('=');
  const name = eq >= 0 ? first.slice(0, eq).trim() : first;
  const value = eq >= 0 ? first.slice(eq + 1).trim() : '';
  const attrs = {};
  for (const p of parts) {
    if (!p) {
      continue;
    }
    const i = p.indexOf('=');
    if (i >= 0) {
      attrs[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim();
    } else {
      attrs[p.toLowerCase()] = true;
    }
  }
  return { name, value, attrs };
}

/**
 * Creates a client bound to a started daemon.
 *   keepAlive: use one keep-alive agent (maxSockets 1) so consecutive requests share a socket.
 *   token:     send `Authorization: Bearer <token>` on every request.
 *   localAddress: connect from this loopback address (e.g. 127.0.0.5) to look like another client.
 *   record:    an array; every response is pushed to it (for "no secret in any answer" checks).
 *   spec:      false: do not check answers against docs/openapi.yaml; a checker made by
 *              makeChecker() (tests/lib/schema.mjs): check against that one instead (both only
 *              for the tests of the check itself).
 *
 * Every answer to an /api/ path is checked against docs/openapi.yaml (tests/lib/schema.mjs): a
 * status, Content-Type or body the spec does not allow rejects the request with an error naming
 * method, path, status and the failing schema location, so any drift fails the test that saw it.
 * With SPEC_CHECK_LOG=FILE set, violations are appended to FILE instead (to survey a whole run).
 */
export function client(daemon, {
  keepAlive = false, token = null, localAddress = null, record = null, spec = true,
} = {}) {
  const mod = daemon.plainHttp ? http : https;
  const agentOpts = { keepAlive, maxSockets: 1 };
  if (localAddress) {
    agentOpts.localAddress = localAddress;
  }
  if (!daemon.plainHttp) {
    agentOpts.ca = daemon.ca;
    agentOpts.servername = 'localhost';
  }
  const agent = keepAlive ? new mod.Agent(agentOpts) : null;
  const jar = new Map();

  const c = {
    daemon,
    jar,
    agent,
    token,
    csrf: null,
    /** The last response (for debugging messages). */
    last: null,

    cookieHeader() {
      return [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
    },

    /**
     * request(method, path, {json, body, headers, contentType, csrf, auth})
     *   json        object serialised as the body with Content-Type application/json
     *   body        raw string/Buffer body (contentType sets its Content-Type)
     *   headers     extra headers (override the defaults)
     *   csrf        false: do not add X-CSRF-Token; string: send this value
     *   auth        false: send neither cookies nor bearer token
     * Resolves {status, headers, body, text, raw, reusedSocket, localPort, setCookies}.
     */
    request(method, urlPath, opts = {}) {
      const { json, body, contentType, csrf, auth = true } = opts;
      const headers = { Accept: 'application/json' };
      let payload = null;
      if (json !== undefined) {
        payload = Buffer.from(JSON.stringify(json), 'utf8');
        headers['Content-Type'] = 'application/json';
      } else if (body !== undefined && body !== null) {
        payload = Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
      }
      if (contentType !== undefined) {
        if (contentType === null) {
          delete headers['Content-Type'];
        } else {
          headers['Content-Type'] = contentType;
        }
      }
      if (payload !== null) {
        headers['Content-Length'] = String(payload.length);
      } else if (STATE_CHANGING.has(method)) {
        headers['Content-Length'] = '0';
      }
      if (auth) {
        if (jar.size > 0) {
          headers.Cookie = c.cookieHeader();
        }
        if (c.token) {
          headers.Authorization = `Bearer ${c.token}`;
        }
        if (STATE_CHANGING.has(method)) {
          if (typeof csrf === 'string') {
            headers['X-CSRF-Token'] = csrf;
          } else if (csrf !== false && c.csrf) {
            headers['X-CSRF-Token'] = c.csrf;
          }
        }
      }
      Object.assign(headers, opts.headers || {});
      for (const [k, v] of Object.entries(headers)) {
        if (v === undefined || v === null) {
          delete headers[k];
        }
      }

      const reqOpts = {
        host: '127.0.0.1',
        port: daemon.port,
        method,
        path: urlPath,
        headers,
        timeout: 20000,
      };
      if (localAddress) {
        reqOpts.localAddress = localAddress;
      }
      if (agent) {
        reqOpts.agent = agent;
      } else {
        reqOpts.agent = false;
        if (!daemon.plainHttp) {
          reqOpts.ca = daemon.ca;
          reqOpts.servername = 'localhost';
        }
      }

      return new Promise((resolve, reject) => {
        const req = mod.request(reqOpts, (res) => {
          const localPort = res.socket ? res.socket.localPort : null;
          const chunks = [];
          res.on('data', (d) => chunks.push(d));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            const text = raw.toString('utf8');
            let parsed = text;
            const ct = String(res.headers['content-type'] || '');
            if (ct.includes('json') || /^\s*[{[]/.test(text)) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            const setCookies = [].concat(res.headers['set-cookie'] || []);
            for (const sc of setCookies) {
              const ck = parseSetCookie(sc);
              const maxAge = ck.attrs['max-age'];
              const expires = ck.attrs.expires ? Date.parse(ck.attrs.expires) : NaN;
              const expired = (maxAge !== undefined && Number(maxAge) <= 0) ||
                (!Number.isNaN(expires) && expires <= Date.now()) || ck.value === '';
              if (expired) {
                jar.delete(ck.name);
              } else {
                jar.set(ck.name, ck.value);
              }
            }
            const out = {
              status: res.statusCode,
              headers: res.headers,
              body: parsed,
              text,
              raw,
              setCookies,
              reusedSocket: Boolean(req.reusedSocket),
              localPort,
              method,
              path: urlPath,
            };
            c.last = out;
            if (record) {
              record.push(out);
            }
            let problems;
            try {
              problems = spec ? specViolations(out, spec) : [];
            } catch (err) {
              reject(err); // a spec the checker cannot compile
              return;
            }
            if (problems.length > 0) {
              if (process.env.SPEC_CHECK_LOG) {
                fs.appendFileSync(process.env.SPEC_CHECK_LOG, problems.map((p) => `${p}\n`).join(''));
              } else {
                reject(new Error(`answer does not match docs/openapi.yaml:\n  ${problems.join('\n  ')}`));
                return;
              }
            }
            resolve(out);
          });
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${urlPath}`)));
        req.on('error', reject);
        if (payload !== null) {
          req.write(payload);
        }
        req.end();
      });
    },

    get(p, o) { return c.request('GET', p, o); },
    post(p, json, o = {}) { return c.request('POST', p, json === undefined ? o : { ...o, json }); },
    put(p, json, o = {}) { return c.request('PUT', p, json === undefined ? o : { ...o, json }); },
    patch(p, json, o = {}) { return c.request('PATCH', p, json === undefined ? o : { ...o, json }); },
    delete(p, o) { return c.request('DELETE', p, o); },
    options(p, o) { return c.request('OPTIONS', p, o); },

    /** POST /api/v1/auth/login; on 200 remembers the CSRF token. Resolves the response. */
    async login(name, password) {
      const r = await c.request('POST', '/api/v1/auth/login', {
        json: { username: name, password },
        csrf: false,
      });
      if (r.status === 200 && r.body && typeof r.body === 'object') {
        c.csrf = r.body.csrf_token || null;
      }
      return r;
    },

    /** Drops cookies, CSRF token and bearer token (the socket stays). */
    forget() {
      jar.clear();
      c.csrf = null;
      c.token = null;
    },

    close() {
      if (agent) {
        agent.destroy();
      }
    },
  };
  return c;
}

/** Logs in and returns the session client; throws with the answer when the login is not 200. */
export async function login(daemon, name, password, opts = {}) {
  const s = client(daemon, opts);
  const r = await s.login(name, password);
  if (r.status !== 200) {
    s.close();
    throw new Error(`login as ${name} failed: ${r.status} ${r.text}`);
  }
  s.loginResponse = r;
  return s;
}

/** A client that authenticates every request with `Authorization: Bearer <token>`. */
export function bearer(daemon, token, opts = {}) {
  return client(daemon, { ...opts, token });
}

/**
 * Sends `text` verbatim over a fresh (TLS) connection and resolves the whole raw answer as
 * {status, head, body, text}. For probes that node's http client would reject or rewrite.
 */
export function rawRequest(daemon, text, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const onConnect = () => sock.write(text);
    const sock = daemon.plainHttp
      ? net.connect({ host: '127.0.0.1', port: daemon.port }, onConnect)
      : tls.connect({ host: '127.0.0.1', port: daemon.port, ca: daemon.ca, servername: 'localhost' },
        onConnect);
    const chunks = [];
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length) {
        finish();
      } else {
        reject(err);
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      finish();
    });
    let done = false;
    function finish() {
      if (done) {
        return;
      }
      done = true;
      const all = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(all);
      const split = all.indexOf('\r\n\r\n');
      resolve({
        status: m ? Number(m[1]) : null,
        head: split >= 0 ? all.slice(0, split) : all,
        body: split >= 0 ? all.slice(split + 4) : '',
        text: all,
      });
    }
  });
}

/** Short description of a response for assertion messages. */
export function describe(res) {
  const body = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  return `${res.method || ''} ${res.path || ''} -> ${res.status} ${String(body).slice(0, 400)}`;
}
