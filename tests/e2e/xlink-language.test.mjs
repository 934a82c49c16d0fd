// Browser test of the Xlink migration page in German and French: the report of the test
// installation (tests/fixtures/xlink) is checked once, then every line's note and every block's
// summary, every to-do of a block and of the report's to-do list reads in the chosen language; no
// note stays English but settings written as they are ("csv.separator ';'").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../lib/browser.mjs';
import { REPO_ROOT, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const dict = async (lang) => (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
const DICTS = { en: await dict('en'), de: await dict('de'), fr: await dict('fr') };
const cleanup = [];
let page, pageErrors;

before(async () => {
  const daemon = await startDaemon({ users: [ADMIN] });
  cleanup.push(() => daemon.stop());
  pageErrors = [];
  let profileDir, context;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations: [] }));
  cleanup.push(() => fsp.rm(profileDir, { recursive: true, force: true }));
  cleanup.push(() => context.close());
  await page.goto(`${daemon.url}/`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('[data-testid="app-footer"]').waitFor();
});

after(async () => {
  for (const f of cleanup.reverse()) {
    await f().catch(() => {});
  }
});

/** A note that is a setting as it is (name, value, column number): the same in every language. */
const isSetting = (text) => /^[a-z_]+[._][a-z_.]+( = column \d+| \S.*)?$/.test(text) && !/ (the|is|of|and) /.test(text);

test('the notes of the Xlink report follow the language', async () => {
  const fixtures = path.join(REPO_ROOT, 'tests', 'fixtures', 'xlink');
  await page.selectOption('#lang-select', 'en');
  await page.click('#nav-xlink');
  await page.locator('[data-testid="xlink-page"]').waitFor();
  await page.setInputFiles('#xlink-files', fs.readdirSync(fixtures).map((f) => path.join(fixtures, f))
    .filter((f) => fs.statSync(f).isFile()));
  await page.fill('#xlink-zone', 'Europe/Berlin');
  await page.click('#xlink-check');
  await page.locator('#xlink-report').waitFor();
  const cells = page.locator('[data-testid="xlink-detail"]');
  const summaries = page.locator('[data-testid="xlink-summary-text"]');
  const english = await cells.allTextContents();
  const englishSummaries = await summaries.allTextContents();
  assert.ok(englishSummaries.length > 5, `only ${englishSummaries.length} summaries`);
  assert.ok(english.length > 50, `only ${english.length} report lines`);
  assert.ok(english.some((t) => t.includes('acdlink learns the activity codes')));
  const actions = page.locator('[data-testid="xlink-action"]');
  const todos = page.locator('[data-testid="xlink-block-todo"]');
  const englishActions = await actions.allTextContents();
  const englishTodos = await todos.allTextContents();
  assert.ok(englishActions.length > 10 && englishTodos.length > 5, `${englishActions.length} actions, ${englishTodos.length} to-dos`);
  assert.ok(englishActions.some((t) => t.startsWith("set the ODBC password of source 'Avaya CMS'")));
  const notes = english.filter((t) => !isSetting(t)).length;
  assert.ok(notes > 50, `only ${notes} notes that are not settings`);
  for (const lang of ['de', 'fr']) {
    await page.selectOption('#lang-select', lang);
    await page.locator('h1', { hasText: DICTS[lang]['xlink.title'] }).waitFor();
    const worded = await cells.allTextContents();
    assert.equal(worded.length, english.length);
    const still = english.filter((t, i) => worded[i] === t && !isSetting(t));
    assert.deepEqual(still, [], `${lang}: notes still in English`);
    const sums = await summaries.allTextContents();
    assert.deepEqual(englishSummaries.filter((t, i) => sums[i] === t), [], `${lang}: summaries still in English`);
    const acts = await actions.allTextContents();
    assert.equal(acts.length, englishActions.length);
    assert.deepEqual(englishActions.filter((t, i) => acts[i] === t), [], `${lang}: to-do list still in English`);
    const tds = await todos.allTextContents();
    assert.deepEqual(englishTodos.filter((t, i) => tds[i] === t), [], `${lang}: block to-dos still in English`);
    const want = lang === 'de'
      ? ['ODBC-Passwort der Quelle „Avaya CMS“ setzen', '(isps_ul.ini Zeile 13): Quelle „CSV Hotline“: Source (Zeile 14): csv.folder: kein Ordner dieses Rechners']
      : ['définir le mot de passe ODBC de la source «\u00A0Avaya CMS\u00A0»', '(isps_ul.ini ligne 13)\u00A0: source «\u00A0CSV Hotline\u00A0»\u00A0: Source (ligne 14)\u00A0: csv.folder\u00A0: pas un dossier'];
    for (const w of want) {
      assert.ok(acts.some((t) => t.includes(w)), `${lang}: no to-do with ${w}: ${JSON.stringify(acts)}`);
    }
  }
  const de = await (async () => {
    await page.selectOption('#lang-select', 'de');
    await page.locator('h1', { hasText: DICTS.de['xlink.title'] }).waitFor();
    return cells.allTextContents();
  })();
  assert.ok(de.some((t) => t.includes('acdlink lernt die Aktivitätscodes aus den Daten')), 'a German note');
  await page.selectOption('#lang-select', 'en');
  assert.deepEqual(pageErrors, []);
});
