// DuckDB side of bench/import.sh: loads the interval files of FOLDER into a fresh database file
// DB, into the same table as the sqlite3 shell's (split, date and time as text, the counts as
// integers, the averages as doubles with a decimal comma in the files), with or without the
// primary key (date, time, split). One INSERT ... SELECT over read_csv of every file, DuckDB's
// own way of loading files; DuckDB's default threads (one per core). Prints "rows=N", and
// "wall=S" and "cpu=S" (user + system seconds of the process) from before CREATE TABLE to after
// the CHECKPOINT: the load, without starting node and loading DuckDB's library.
//
// Usage: node bench/import-duckdb.mjs FOLDER DB [--key]
// Needs @duckdb/node-api (bench/package.json: (cd bench && npm ci)).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

const [folder, dbPath, ...rest] = process.argv.slice(2);
if (!folder || !dbPath || rest.some((a) => a !== "--key")) {
  console.error("usage: node bench/import-duckdb.mjs FOLDER DB [--key]");
  process.exit(2);
}
const key = rest.includes("--key");
const files = readdirSync(folder)
  .filter((f) => f.endsWith(".csv"))
  .sort()
  .map((f) => join(folder, f));
if (files.length === 0) {
  console.error(`no .csv files in ${folder}`);
  process.exit(1);
}

const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(dbPath);
const db = await instance.connect();
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
await db.run(
  "CREATE TABLE intervals (split VARCHAR NOT NULL, date VARCHAR NOT NULL, time VARCHAR NOT " +
    "NULL, offered INTEGER, handled INTEGER, abandoned INTEGER, aht DOUBLE, asa DOUBLE, " +
    `service_level DOUBLE${key ? ", PRIMARY KEY (date, time, split)" : ""})`,
);
await db.run(
  `INSERT INTO intervals SELECT * FROM read_csv([${files.map(quote).join(", ")}], ` +
    "delim = ';', header = true, decimal_separator = ',', columns = {'split': 'VARCHAR', " +
    "'date': 'VARCHAR', 'time': 'VARCHAR', 'offered': 'INTEGER', 'handled': 'INTEGER', " +
    "'abandoned': 'INTEGER', 'aht': 'DOUBLE', 'asa': 'DOUBLE', 'service_level': 'DOUBLE'})",
);
await db.run("CHECKPOINT");
const cpu = process.cpuUsage(cpu0);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const reader = await db.runAndReadAll("SELECT count(*)::BIGINT FROM intervals");
console.log(`rows=${reader.getRows()[0][0]}`);
console.log(`wall=${wall.toFixed(3)}`);
console.log(`cpu=${((cpu.user + cpu.system) / 1e6).toFixed(2)}`);
db.closeSync();
instance.closeSync();
