// A hostile MySQL-protocol server on loopback: it greets with protocol 10, takes any user and
// password, and answers every command that expects a result (a query, a prepared statement's
// execution, a change of database) with a LOAD DATA LOCAL INFILE request (0xFB + a file name),
// so that a client that honours it sends that file's bytes. Everything each client sends is
// recorded, so a test can prove that nothing of the file arrived.

import net from 'node:net';

const COM_QUIT = 0x01;
const COM_INIT_DB = 0x02;
const COM_QUERY = 0x03;
const COM_PING = 0x0e;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;
const COM_STMT_CLOSE = 0x19;
const COM_STMT_RESET = 0x1a;
const COM_SET_OPTION = 0x1b;

// capabilities offered: long password, found rows, long flag, connect with db, local files,
// protocol 41, transactions, secure connection, multi statements and results, plugin auth,
// session tracking (no TLS, no compression)
const CAPS = 0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x800000;

function packet(seq, payload) {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq & 0xff;
  return Buffer.concat([h, payload]);
}

function greeting() {
  const salt = Buffer.from('abcdefghijklmnopqrst');
  const b = [];
  b.push(Buffer.from([10]));
  b.push(Buffer.from('5.5.5-10.11.99-MariaDB-hostile\0'));
  const tid = Buffer.alloc(4);
  tid.writeUInt32LE(7);
  b.push(tid, salt.subarray(0, 8), Buffer.from([0]));
  const lo = Buffer.alloc(2);
  lo.writeUInt16LE(CAPS & 0xffff);
  b.push(lo, Buffer.from([45]), Buffer.from([2, 0]));
  const hi = Buffer.alloc(2);
  hi.writeUInt16LE(CAPS >>> 16);
  b.push(hi, Buffer.from([21]), Buffer.alloc(10));
  b.push(salt.subarray(8), Buffer.from([0]));
  b.push(Buffer.from('mysql_native_password\0'));
  return Buffer.concat(b);
}

const OK = Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]);

function err(code, state, text) {
  const c = Buffer.alloc(2);
  c.writeUInt16LE(code);
  return Buffer.concat([Buffer.from([0xff]), c, Buffer.from(`#${state}${text}`)]);
}

/**
 * Starts the server. file: the path asked for; onlyFor: a RegExp, to ask only in answer to the
 * query (or the execution of a prepared statement) whose text matches it and to answer
 * everything else with OK (so that connecting succeeds). Returns { port, sessions, stop() } where each
 * session is { commands: [{ command, text }], requests: n, afterRequest: [Buffer, ...], raw:
 * Buffer } (afterRequest: the payload of every packet the client sent in answer to a request;
 * an empty Buffer is a refusal).
 */
export async function startHostileMysql(file, { onlyFor = null } = {}) {
  // the text of the statement a command runs: COM_STMT_EXECUTE runs the last one prepared
  const asks = (cmd, s) => {
    if (!onlyFor) {
      return true;
    }
    const texts = s.commands.filter((c) => c.command === COM_QUERY || c.command === COM_STMT_PREPARE);
    const last = cmd === COM_STMT_EXECUTE ? texts[texts.length - 1] : s.commands[s.commands.length - 1];
    return Boolean(last && onlyFor.test(last.text));
  };
  const sessions = [];
  const sockets = new Set();
  const server = net.createServer((sock) => {
    const s = { commands: [], requests: 0, afterRequest: [], raw: Buffer.alloc(0) };
    sessions.push(s);
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    let authed = false;
    let inFile = false; // between a request and the client's empty packet
    sock.write(packet(0, greeting()));
    sock.on('data', (chunk) => {
      s.raw = Buffer.concat([s.raw, chunk]);
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readUIntLE(0, 3);
        if (buf.length < 4 + len) {
          break;
        }
        const seq = buf[3];
        const p = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (!authed) {
          authed = true; // any user, any password
          sock.write(packet(seq + 1, OK));
          continue;
        }
        if (inFile) {
          s.afterRequest.push(Buffer.from(p));
          if (p.length === 0) {
            inFile = false; // what a server says after a file, also an empty one
            sock.write(packet(seq + 1, OK));
          }
          continue;
        }
        const cmd = p[0];
        s.commands.push({ command: cmd, text: p.subarray(1).toString('latin1') });
        if (cmd === COM_QUIT) {
          sock.end();
          return;
        }
        if (cmd === COM_STMT_CLOSE) {
          continue;
        }
        if (cmd === COM_PING || cmd === COM_STMT_RESET || cmd === COM_SET_OPTION) {
          sock.write(packet(seq + 1, OK));
          continue;
        }
        if (cmd === COM_STMT_PREPARE) {
          // statement 1, no columns, no parameters: its execution gets the request
          const ok = Buffer.alloc(12);
          ok.writeUInt32LE(1, 1);
          sock.write(packet(seq + 1, ok));
          continue;
        }
        if ((cmd === COM_QUERY || cmd === COM_STMT_EXECUTE || cmd === COM_INIT_DB) && !asks(cmd, s)) {
          sock.write(packet(seq + 1, OK));
          continue;
        }
        if (cmd === COM_QUERY || cmd === COM_STMT_EXECUTE || cmd === COM_INIT_DB) {
          s.requests += 1;
          inFile = true;
          sock.write(packet(seq + 1, Buffer.concat([Buffer.from([0xfb]), Buffer.from(file)])));
          continue;
        }
        sock.write(packet(seq + 1, err(1047, '08S01', 'unknown command')));
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    sessions,
    stop() {
      for (const sock of sockets) {
        sock.destroy();
      }
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
