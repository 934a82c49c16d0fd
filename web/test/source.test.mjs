// Static guards for the console source: the rules the CSP and the security model depend on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}
const sources = files(path.join(WEB, 'src')).filter((p) => p.endsWith('.js'));

function offenders(pattern, allow = () => false) {
  return sources
    .filter((p) => !allow(p))
    .filter((p) => pattern.test(fs.readFileSync(p, 'utf8')))
    .map((p) => path.relative(WEB, p));
}

test('no raw HTML injection', () => {
  assert.deepEqual(offenders(/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML/), []);
});

test('no eval-like code (the CSP forbids it)', () => {
  assert.deepEqual(offenders(/\beval\s*\(|new Function\s*\(|setTimeout\s*\(\s*['"`]/), []);
});

test('no inline style attributes; styles live in style.css', () => {
  assert.deepEqual(offenders(/\bstyle=/), []);
  const index = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  assert.doesNotMatch(index, /\bstyle=|<style|<script(?![^>]*\bsrc=)/, 'index.html has inline code');
});

test('localStorage holds only the language choice', () => {
  assert.deepEqual(offenders(/localStorage/, (p) => p.endsWith(path.join('i18n', 'index.js'))), []);
});

test('fetch is used only by api.js, always same-origin with credentials', () => {
  assert.deepEqual(offenders(/\bfetch\s*\(/, (p) => p.endsWith('api.js')), []);
  const api = fs.readFileSync(path.join(WEB, 'src', 'api.js'), 'utf8');
  assert.match(api, /credentials: 'same-origin'/);
  assert.match(api, /X-CSRF-Token/);
  assert.match(api, /const BASE = '\/api\/v1'/);
});
