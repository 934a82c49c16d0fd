// Throwaway SQL servers for the ODBC tests: PostgreSQL (tests/lib/pg.sh, through psqlODBC) and
// MariaDB (tests/lib/mariadb.sh, through Debian's odbc-mariadb), each started once per test file
// on loopback and gone when the test ends or dies. Both answer the same questions: the ODBC
// connection string for a source, the password, and exec(sql) to load fixtures with the
// server's own client.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './daemon.mjs';
import { odbcDriver } from './api.mjs';

/** The password both scripts give the user "app" by default: ; { } and = in one value. */
export const DB_PASSWORD = 'pw;with{braces}=x';

// Runs SCRIPT run, resolves with its "KEY value" lines once all of keys are printed.
function runScript(script, keys) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [path.join(REPO_ROOT, 'tests/lib', script), 'run'],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const found = {};
      for (const k of keys) {
        const m = new RegExp(`^${k} (\\S+)$`, 'm').exec(out);
        if (m) {
          found[k] = m[1];
        }
      }
      if (keys.every((k) => k in found)) {
        resolve({ child, found });
      }
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code} (is the server installed?)`)));
  });
}

/**
 * Starts a PostgreSQL cluster. Returns { engine: 'postgresql', port, driver, connectionString,
 * user, password, columnName(name), exec(sql), query(sql), client, stop() }; exec runs SQL text
 * through psql as the superuser "app", query gives one result as text (tab-separated, no
 * column names), client is [command, args] of a psql session reading its SQL from stdin (a
 * writer process), with ON_ERROR_STOP.
 */
export async function startPostgres() {
  const driver = odbcDriver('PostgreSQL Unicode', 'odbc-postgresql');
  const { child, found } = await runScript('pg.sh', ['PORT', 'DIR']);
  const port = Number(found.PORT);
  const psql = fs.readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/psql`)
    .find((p) => fs.existsSync(p));
  return {
    engine: 'postgresql',
    port,
    driver,
    connectionString: `Driver={${driver}};Server=127.0.0.1;Port=${port};Database=postgres`,
    user: 'app',
    password: DB_PASSWORD,
    // the name of a result column as the server reports it: unquoted names fold to lower case
    columnName: (name) => name.toLowerCase(),
    exec(sql) {
      execFileSync(psql, ['-q', '-h', found.DIR, '-p', String(port), '-U', 'app', '-d', 'postgres',
        '-v', 'ON_ERROR_STOP=1'], { input: sql, stdio: ['pipe', 'ignore', 'inherit'] });
    },
    query(sql) {
      return execFileSync(psql, ['-q', '-At', '-F', '\t', '-h', found.DIR, '-p', String(port), '-U', 'app',
        '-d', 'postgres', '-v', 'ON_ERROR_STOP=1'], { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] }).trim();
    },
    client: [psql, ['-q', '-h', found.DIR, '-p', String(port), '-U', 'app', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1']],
    stop() {
      child.stdin.end(); // EOF: pg.sh stops the cluster and removes its folder
    },
  };
}

/**
 * Starts a MariaDB server. Returns the same shape as startPostgres (engine 'mariadb'); exec
 * runs SQL text through the mariadb client as root over the server's socket, in database acd.
 */
export async function startMariadb() {
  const driver = odbcDriver('MariaDB Unicode', 'odbc-mariadb');
  const { child, found } = await runScript('mariadb.sh', ['PORT', 'SOCKET', 'DIR']);
  const port = Number(found.PORT);
  return {
    engine: 'mariadb',
    port,
    driver,
    connectionString: `Driver={${driver}};Server=127.0.0.1;Port=${port};Database=acd`,
    user: 'app',
    password: DB_PASSWORD,
    socket: found.SOCKET, // the server's Unix socket (root may log in over it)
    // the name of a result column as the server reports it: as the select list writes it
    columnName: (name) => name,
    exec(sql) {
      execFileSync('mariadb', ['--no-defaults', '-S', found.SOCKET, '-u', 'root', 'acd'],
        { input: sql, stdio: ['pipe', 'ignore', 'inherit'] });
    },
    client: ['mariadb', ['--no-defaults', '-S', found.SOCKET, '-u', 'root', 'acd']],
    /** One query's result as text (tab-separated, no column names). */
    query(sql) {
      return execFileSync('mariadb', ['--no-defaults', '-N', '-S', found.SOCKET, '-u', 'root', 'acd'],
        { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] }).trim();
    },
    stop() {
      child.stdin.end(); // EOF: mariadb.sh stops the server and removes its folder
    },
  };
}

/** Loads fixture files of tests/fixtures/odbc into db, in order. */
export function loadFixtures(db, names) {
  for (const f of names) {
    db.exec(fs.readFileSync(path.join(REPO_ROOT, 'tests/fixtures/odbc', f), 'utf8'));
  }
}
