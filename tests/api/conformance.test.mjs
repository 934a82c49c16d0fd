// Every route is exercised by a scripted session (success and typical errors). The shared client
// checks each answer against docs/openapi.yaml (tests/lib/schema.mjs), as it does in every API
// test; this file also tests that check itself.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TEST_ROOT, bearer, client, login } from '../lib/daemon.mjs';
import { ROOT, SAMPLE_SOURCE, loadSpec, pw, routeTable, startWithAdmin } from '../lib/api.mjs';
import { makeChecker, specChecker } from '../lib/schema.mjs';

const spec = loadSpec();
const record = [];
let d;
let admin;
let table;

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  table = await routeTable(admin);
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

/** The route-table pattern of a concrete request path, or null. */
function patternOf(method, urlPath) {
  const segs = urlPath.split('?')[0].split('/');
  for (const e of table) {
    const p = e.path.split('/');
    if (e.method === method && p.length === segs.length &&
      p.every((s, i) => (s.startsWith('{') && s.endsWith('}')) || s === segs[i])) {
      return e.path;
    }
  }
  return null;
}

test('the validator itself catches wrong answers', () => {
  const c = specChecker();
  const user = '#/components/schemas/User';
  const good = { id: 1, name: 'a', role: 'viewer', disabled: false, created_at: '2026-11-23T17:42:25Z',
    updated_at: '2026-11-23T17:42:25Z', last_login_at: null };
  assert.deepEqual(c.schemaProblems(user, good), []);
  assert.match(c.schemaProblems(user, { ...good, password_hash: 'x' }).join(), /password_hash.*User\/additionalProperties/);
  assert.match(c.schemaProblems(user, { ...good, role: 'root' }).join(), /body\.role .*Role\/enum/);
  assert.match(c.schemaProblems(user, { ...good, created_at: 'yesterday' }).join(), /body\.created_at .*format/);
  const { id, ...noId } = good;
  assert.match(c.schemaProblems(user, noId).join(), /'id'.*User\/required/);
  const tok = { id: 1, name: 't', role: 'viewer', prefix: 'acdl_x', created_at: good.created_at,
    created_by: 'root', last_used_at: null, revoked_at: null, expires_at: null };
  assert.deepEqual(c.schemaProblems('#/components/schemas/Token', tok), []);
  assert.ok(c.schemaProblems('#/components/schemas/Token', { ...tok, token: 'acdl_secret' }).length > 0);
  assert.deepEqual(c.schemaProblems('#/components/schemas/TokenCreated', { ...tok, token: 'acdl_s' }), []);
  // whole answers: status, content type, body, unknown routes, OPTIONS
  const res = (method, p, status, body, ctype = 'application/json') => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer', 'content-security-policy': "default-src 'self'; frame-ancestors 'none'" };
    if (ctype) {
      headers['content-type'] = ctype;
    }
    return { method, path: p, status, headers, body, text, raw: Buffer.from(text) };
  };
  const err = { error: { code: 'not_found', message: 'x' } };
  assert.deepEqual(c.check(res('GET', '/api/v1/users/7', 200, good)), []);
  assert.match(c.check(res('GET', '/api/v1/users/7', 418, err)).join(),
    /^GET \/api\/v1\/users\/7 -> 418 \(spec GET \/api\/v1\/users\/\{id\}\): status 418 not documented/);
  assert.match(c.check(res('GET', '/api/v1/users/7', 200, good, 'text/html')).join(), /Content-Type 'text\/html'/);
  assert.match(c.check(res('GET', '/api/v1/users/7', 404, { code: 'not_found' })).join(), /Error\/required/);
  assert.match(c.check(res('POST', '/api/v1/auth/logout', 204, good)).join(), /documents none/);
  assert.deepEqual(c.check(res('POST', '/api/v1/auth/logout', 204, undefined, null)), []);
  assert.deepEqual(c.check(res('GET', '/api/v1/nope', 404, err)), []);
  assert.match(c.check(res('GET', '/api/v1/nope', 200, good)).join(), /not in docs\/openapi.yaml/);
  assert.match(c.check(res('GET', '/api/v1/nope', 404, 'no', 'text/plain')).join(), /Error envelope/);
  assert.deepEqual(c.check(res('OPTIONS', '/api/v1/users/7', 204, undefined, null)), []);
  assert.deepEqual(c.check(res('GET', '/assets/x.js', 200, 'x', 'text/javascript')), []);
  // headers: those of every answer, documented ones when present, required ones
  const bare = res('GET', '/api/v1/users/7', 200, good);
  delete bare.headers['cache-control'];
  assert.match(c.check(bare).join(), /header cache-control: '' \(every API answer/);
  const busy = res('PATCH', '/api/v1/queues/7', 503, { error: { code: 'unavailable', message: 'x' } });
  assert.match(c.check(busy).join(), /header Retry-After missing \(#\/components\/headers\/RetryAfter\)/);
  busy.headers['retry-after'] = '0';
  assert.match(c.check(busy).join(), /header Retry-After: must be >= 1/);
  busy.headers['retry-after'] = '5';
  assert.deepEqual(c.check(busy), []);
  // a literal segment beats a parameter
  assert.equal(c.templateOf('/api/v1/auth/session'), '/api/v1/auth/session');
  assert.equal(c.templateOf('/api/v1/users/12?x=1'), '/api/v1/users/{id}');
});

test('the shared client rejects an answer the spec does not allow, naming method, path, status and schema', async () => {
  const changed = structuredClone(spec);
  delete changed.paths['/api/v1/health'].get.responses['200'];
  changed.components.schemas.User.required.push('nickname');
  changed.components.schemas.User.properties.nickname = { type: 'string' };
  const strict = makeChecker(changed);
  await assert.rejects(client(d, { spec: strict }).get('/api/v1/health'),
    /GET \/api\/v1\/health -> 200 \(spec GET \/api\/v1\/health\): status 200 not documented/);
  const s = await login(d, ROOT.name, ROOT.password);
  const me = s.loginResponse.body.user.id;
  s.close();
  const c = client(d, { spec: strict });
  Object.assign(c, { csrf: admin.csrf });
  for (const [k, v] of admin.jar) {
    c.jar.set(k, v);
  }
  await assert.rejects(c.get(`/api/v1/users/${me}`),
    new RegExp(`GET /api/v1/users/${me} -> 200 .*'nickname'.*schema #/components/schemas/User/required`));
  // the same answers pass the real spec, and {spec: false} skips the check
  assert.equal((await admin.get(`/api/v1/users/${me}`)).status, 200);
  assert.equal((await client(d, { spec: false }).get('/api/v1/health')).status, 200);
});

test('answers of every route (success and typical errors) match the spec', async () => {
  const anon = client(d, { record });
  const a = await login(d, ROOT.name, ROOT.password, { record });
  await anon.get('/api/v1/health');
  await a.get('/api/v1/endpoints');
  await anon.get('/api/v1/endpoints');
  await anon.post('/api/v1/auth/login', { username: ROOT.name, password: 'wrong-password-conf' });
  await anon.request('POST', '/api/v1/auth/login', { body: 'x', contentType: 'text/plain' });
  await a.get('/api/v1/auth/session');

  const u = await a.post('/api/v1/users', { name: 'conf', role: 'viewer', password: pw('conf') });
  await a.post('/api/v1/users', { name: 'conf', role: 'viewer', password: pw('conf') });
  await a.post('/api/v1/users', { name: 'bad name', role: 'viewer', password: pw('conf') });
  await a.post('/api/v1/users', { name: 'big', role: 'viewer', password: 'x'.repeat(70 * 1024) });
  await a.get('/api/v1/users?limit=1');
  await a.get('/api/v1/users?limit=0');
  await a.get(`/api/v1/users/${u.body.id}`);
  await a.get('/api/v1/users/999999');
  await a.patch(`/api/v1/users/${u.body.id}`, { role: 'operator' });
  await a.patch(`/api/v1/users/${u.body.id}`, { role: 'nope' });
  await a.patch(`/api/v1/users/${a.loginResponse.body.user.id}`, { role: 'viewer' });

  const viewer = await login(d, 'conf', pw('conf'), { record });
  await viewer.get('/api/v1/users');
  await viewer.post('/api/v1/auth/password', { current_password: pw('conf'), new_password: 'short' });
  await viewer.post('/api/v1/auth/password', { current_password: pw('conf'), new_password: pw('conf2') });
  await login(d, 'conf', pw('conf2'), { record }).then((s) => s.post('/api/v1/auth/logout'));

  const t = await a.post('/api/v1/tokens', { name: 'conf-token', role: 'viewer' });
  await a.post('/api/v1/tokens', { name: 'conf-token2', role: 'boss' });
  await a.get('/api/v1/tokens?limit=10');
  const b = bearer(d, t.body.token, { record });
  await b.get('/api/v1/auth/session');
  await b.post('/api/v1/auth/password', { current_password: 'x'.repeat(12), new_password: pw('conf3') });
  await a.delete(`/api/v1/tokens/${t.body.id}`);
  await a.delete('/api/v1/tokens/999999');
  await a.get('/api/v1/audit?limit=20');
  await a.get('/api/v1/audit?limit=abc');
  await a.delete(`/api/v1/users/${u.body.id}`);
  await a.delete(`/api/v1/users/${a.loginResponse.body.user.id}`);
  const q = await a.post('/api/v1/queues', { identifier: 'conf-q', name: 'Conf', time_zone: 'Europe/Berlin' });
  await a.post('/api/v1/queues', { identifier: 'conf-q', name: 'Conf', time_zone: 'Europe/Berlin' });
  await a.post('/api/v1/queues', { identifier: 'conf-q2', name: 'Conf', time_zone: 'Nowhere/Atlantis' });
  await a.get('/api/v1/queues?limit=5');
  await a.get(`/api/v1/queues/${q.body.id}`);
  await a.get('/api/v1/queues/999999');
  await a.patch(`/api/v1/queues/${q.body.id}`, { interval_minutes: 60 });
  await a.patch(`/api/v1/queues/${q.body.id}`, { interval_minutes: 7 });
  await a.delete(`/api/v1/queues/${q.body.id}`);
  const vt = await a.post('/api/v1/value-types', { key: 'conf_vt', name: 'Conf', unit: 'seconds' });
  await a.post('/api/v1/value-types', { key: 'conf_vt', name: 'Conf' });
  await a.post('/api/v1/value-types', { key: 'Conf VT', name: 'Conf' });
  await a.get('/api/v1/value-types');
  await a.patch(`/api/v1/value-types/${vt.body.id}`, { combine: 'weighted', weight_key: 'handled' });
  await a.delete(`/api/v1/value-types/${vt.body.id}`);
  await a.delete('/api/v1/value-types/1');
  const src = await a.post('/api/v1/sources', SAMPLE_SOURCE('conf-src'));
  await a.post('/api/v1/sources', SAMPLE_SOURCE('conf-src'));
  await a.post('/api/v1/sources', { ...SAMPLE_SOURCE('conf-src2'), settings: { csv: { folder: 'x' } } });
  await a.post('/api/v1/sources', {
    name: 'conf-odbc', kind: 'odbc', time_zone: 'UTC', password: 'secret-conf',
    settings: { odbc: { dsn: 'cms', preset: 'avaya_cms_hsplit' } },
  });
  await a.get('/api/v1/sources?limit=5');
  await a.get(`/api/v1/sources/${src.body.id}`);
  await a.get('/api/v1/sources/999999');
  await a.patch(`/api/v1/sources/${src.body.id}`, { enabled: false });
  await a.patch(`/api/v1/sources/${src.body.id}`, { interval_minutes: 45 });
  await a.get('/api/v1/source-presets');
  const pv = await a.post(`/api/v1/sources/${src.body.id}/preview`, { day: '2026-11-24' });
  await a.post(`/api/v1/sources/${src.body.id}/preview`, { day: 'x' });
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = await a.get(pv.headers.location);
    if (j.body.state !== 'running') {
      break;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  await a.get('/api/v1/jobs/999999');
  const dv = await a.post(`/api/v1/sources/${src.body.id}/discover`, { day: '2026-11-24' });
  await a.post(`/api/v1/sources/${src.body.id}/discover`, { day: '2026-11-24', rows: 3 });
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = await a.get(dv.headers.location);
    if (j.body.state !== 'running') {
      break;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  // the whole setup as a document: exported, applied back (nothing to change), refused
  const doc = await a.get('/api/v1/config');
  await a.post('/api/v1/config/apply', { config: doc.body, dry_run: true });
  await a.post('/api/v1/config/apply', { config: { acdlink_config: 1, queues: [{ name: 'no id' }] } });
  await a.post('/api/v1/config/apply', { config: { acdlink_config: 1, queues: [{ identifier: 'CONF-Q', name: 'x', channel: 'calls', interval_minutes: 7, time_zone: 'UTC' }] } });
  await viewer.post('/api/v1/config/apply', { config: doc.body });
  const run = await a.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-24' });
  await a.post('/api/v1/runs', { source_id: src.body.id, from: '2026-11-24', to: '2026-11-01' });
  await a.get('/api/v1/runs?limit=5');
  await a.get(`/api/v1/runs/${run.body.id}`);
  await a.get('/api/v1/runs/999999');
  await a.get(`/api/v1/runs/${run.body.id}/log`);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const st = await a.get(`/api/v1/runs/${run.body.id}`);
    if (!['queued', 'running'].includes(st.body.state)) {
      break;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  await a.post(`/api/v1/runs/${run.body.id}/cancel`);
  const mq = await a.post('/api/v1/queues', { identifier: 'conf-mq', name: 'Conf', time_zone: 'Europe/Berlin' });
  const mp = await a.post('/api/v1/mappings', {
    queue_id: mq.body.id, value_type: 'offered', inputs: [{ source_id: src.body.id, ext_queue: '1', metric: 'offered' }],
  });
  await a.post('/api/v1/mappings', { queue_id: mq.body.id, value_type: 'nope', inputs: [] });
  await a.get('/api/v1/mappings?limit=5');
  await a.get(`/api/v1/mappings/${mp.body.id}`);
  await a.get('/api/v1/mappings/999999');
  await a.patch(`/api/v1/mappings/${mp.body.id}`, { formula: 'p1 * 2' });
  await a.patch(`/api/v1/mappings/${mp.body.id}`, { formula: 'p9' });
  await a.get('/api/v1/unmapped-queues');
  await a.get(`/api/v1/results?queue=conf-mq&from=2026-11-24&to=2026-11-25`);
  await a.get('/api/v1/results?queue=conf-mq');
  const page = await a.get('/api/v1/results?from=2026-11-24&to=2026-11-25&limit=1');
  assert.equal(page.status, 200);
  assert.ok('next_cursor' in page.body);
  await a.get(`/api/v1/results?queue=conf-mq&queue=${mq.body.id}&value_type=offered&from=2026-11-24&to=2026-11-25&limit=2`);
  await a.get('/api/v1/results?from=2026-11-24&to=2026-11-25&cursor=not-a-cursor');
  await a.get('/api/v1/recomputes');
  await a.get(`/api/v1/results/csv?queue=conf-mq&from=2026-11-24&to=2026-11-25`);
  await a.get('/api/v1/results/csv?queue=nope');
  await a.get('/api/v1/overview');
  await a.get('/api/v1/overview?queue=999999');
  await a.get('/api/v1/ext-queues');
  const bulk = { source_id: src.body.id, queues: [{ identifier: 'conf-bulk', name: 'Conf bulk', ext_queues: ['2'] }],
    mappings: [{ value_type: 'offered', metric: 'offered' }] };
  await a.post('/api/v1/mappings/bulk', bulk);
  await a.post('/api/v1/mappings/bulk', bulk); // the identifier is taken now
  await a.post('/api/v1/mappings/bulk', { ...bulk, mappings: [{ value_type: 'nope', metric: 'offered' }] });
  await a.post(`/api/v1/queues/${mq.body.id}/copy-mappings`, { to: [{ identifier: 'conf-copy', name: 'Conf copy', ext_queues: { 1: '3' } }] });
  await a.post(`/api/v1/queues/${mq.body.id}/copy-mappings`, { to: [] });
  await a.delete(`/api/v1/mappings/${mp.body.id}`);
  const sc = await a.post('/api/v1/schedules', { source_id: src.body.id, kind: 'every', every_minutes: 15 });
  await a.post('/api/v1/schedules', { source_id: src.body.id, kind: 'every', every_minutes: 1 });
  await a.get('/api/v1/schedules');
  await a.get(`/api/v1/schedules/${sc.body.id}`);
  await a.patch(`/api/v1/schedules/${sc.body.id}`, { kind: 'daily', daily_at: '05:00', days_back: 2 });
  await a.patch(`/api/v1/schedules/${sc.body.id}`, { daily_at: '5' });
  await a.post(`/api/v1/schedules/${sc.body.id}/run`);
  await a.post('/api/v1/schedules/999999/run');
  await a.delete(`/api/v1/schedules/${sc.body.id}`);
  const as = await a.post('/api/v1/sources', {
    name: 'conf-agents', kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder: '/tmp', pattern: 'conf-none-*.csv' }, columns: { agent: 'A', activity: 'S', start: 'T' },
      agent_states: { span: 'start_only', logout_activities: ['OUT'] },
    },
  });
  const act = await a.post('/api/v1/activities', { identifier: 'conf-act', name: 'Conf' });
  await a.post('/api/v1/activities', { identifier: 'conf-act', name: 'Conf' });
  await a.get('/api/v1/activities?limit=5');
  await a.get(`/api/v1/activities/${act.body.id}`);
  await a.get('/api/v1/activities/999999');
  await a.patch(`/api/v1/activities/${act.body.id}`, { name: 'Conf 2' });
  await a.patch(`/api/v1/activities/${act.body.id}`, { name: '' });
  await a.post('/api/v1/activity-codes', { source_id: as.body.id, code: 'AUX1', activity: 'conf-act' });
  await a.post('/api/v1/activity-codes', { source_id: as.body.id, code: 'AUX1', activity: 'nope' });
  await a.get(`/api/v1/activity-codes?source=${as.body.id}`);
  await a.get('/api/v1/activity-codes?source=x');
  const ag = await a.post('/api/v1/agents', { identifier: 'conf-agent', external_ids: [{ source_id: as.body.id, ext_agent: '007' }] });
  await a.post('/api/v1/agents', { identifier: 'conf-agent' });
  await a.get('/api/v1/agents?limit=5');
  await a.get(`/api/v1/agents/${ag.body.id}`);
  await a.get('/api/v1/agents/999999');
  await a.patch(`/api/v1/agents/${ag.body.id}`, { name: 'Conf Agent' });
  await a.patch(`/api/v1/agents/${ag.body.id}`, { identifier: '' });
  await a.post('/api/v1/agent-ids', { source_id: as.body.id, text: '008;conf-agent2\n' });
  await a.post('/api/v1/agent-ids', { source_id: as.body.id, text: 'no separator' });
  await a.get(`/api/v1/unknown-agents?source=${as.body.id}`);
  await a.get('/api/v1/agent-states?agent=conf-agent&from=2026-11-24&to=2026-11-24');
  await a.get('/api/v1/agent-states?agent=conf-agent');
  await a.get('/api/v1/agent-states?agent=nobody&from=2026-11-24&to=2026-11-24');
  const live = await a.get('/api/v1/agents/live');
  await a.get('/api/v1/agents/live', { headers: { 'If-None-Match': live.headers.etag } });
  await a.delete(`/api/v1/agents/${ag.body.id}`);
  await a.delete(`/api/v1/activities/${act.body.id}`);
  await a.delete('/api/v1/activities/1');
  await a.delete(`/api/v1/sources/${as.body.id}`);
  // deleting what others depend on: the consequences, a refusal, a bad flag, a cascade
  await a.delete(`/api/v1/sources/${src.body.id}?dry_run=true`);
  await a.delete(`/api/v1/sources/${src.body.id}`);
  await a.delete(`/api/v1/sources/${src.body.id}?cascade=maybe`);
  await a.delete(`/api/v1/queues/${mq.body.id}?dry_run=true`);
  await a.delete(`/api/v1/queues/${mq.body.id}`);
  await a.delete(`/api/v1/sources/${src.body.id}?cascade=true`);
  await a.delete(`/api/v1/queues/${mq.body.id}?cascade=true`);
  // backup (a tar answer) and the Xlink migration (a dry run, a refused upload)
  await a.get('/api/v1/backup');
  await viewer.get('/api/v1/backup');
  const ini = `[Csv]\r\nSource=${TEST_ROOT}/acdlink-acd\r\n`
    + 'GroupColumn=1\r\nDateColumn=2\r\nTimeColumn=3\r\n'
    + 'ColumnNames=Q;D;T;Offered\r\nTimeZone=1\r\n';
  await a.post('/api/v1/xlink-imports', {
    files: [{ name: 'isps_ul.ini', content_base64: Buffer.from(ini).toString('base64') }], dry_run: true,
  });
  await a.post('/api/v1/xlink-imports', { files: [{ name: 'acd_map.ini', content_base64: '' }] });
  // targets, the connection test, deliveries, backlog, metrics
  const tg = await a.post('/api/v1/targets', { name: 'conf-target', connector: 'csv-export', settings: { folder: '/tmp/acdlink-conf-out' } });
  await a.post('/api/v1/targets', { name: 'conf-target', connector: 'csv-export', settings: { folder: '/tmp/x' } });
  await a.post('/api/v1/targets', { name: 'conf-target2', connector: 'https-json', settings: { url: 'http://x' } });
  // an operator may not set a network target's address or trust settings (403 with coded texts)
  const opTok = await a.post('/api/v1/tokens', { name: 'conf-op', role: 'operator' });
  const op = bearer(d, opTok.body.token, { record });
  await op.post('/api/v1/targets', { name: 'conf-json', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x' } });
  const tjs = await a.post('/api/v1/targets', { name: 'conf-json', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/x' } });
  await op.patch(`/api/v1/targets/${tjs.body.id}`, { settings: { url: 'https://127.0.0.1:9/y' } });
  await op.patch(`/api/v1/targets/${tjs.body.id}`, { settings: { url: 'https://127.0.0.1:9/x', timeout_seconds: 9 } });
  await a.delete(`/api/v1/targets/${tjs.body.id}`);
  await a.delete(`/api/v1/tokens/${opTok.body.id}`);
  await a.get('/api/v1/targets?limit=5');
  await a.get(`/api/v1/targets/${tg.body.id}`);
  await a.get('/api/v1/targets/999999');
  await a.patch(`/api/v1/targets/${tg.body.id}`, { enabled: false });
  await a.patch(`/api/v1/targets/${tg.body.id}`, { settings: { folder: '' } });
  const tj = await a.post(`/api/v1/targets/${tg.body.id}/test`);
  await a.post('/api/v1/targets/999999/test');
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = await a.get(tj.headers.location);
    if (j.body.state !== 'running') {
      break;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  const rs = await a.post(`/api/v1/targets/${tg.body.id}/resend`, { from: '2026-11-24', to: '2026-11-24' });
  await a.post(`/api/v1/targets/${tg.body.id}/resend`, { from: '2026-11-24', to: '2026-11-01' });
  await a.get('/api/v1/resends');
  await a.get(`/api/v1/resends?target_id=${tg.body.id}`);
  await a.get(`/api/v1/resends/${rs.body.id}`);
  await a.get('/api/v1/resends/999999');
  await a.get(`/api/v1/deliveries?limit=5&target_id=${tg.body.id}`);
  await a.get('/api/v1/deliveries?state=nope');
  await a.get('/api/v1/deliveries/999999');
  await a.post('/api/v1/deliveries/999999/retry');
  await a.get('/api/v1/backlog');
  await a.get('/api/v1/roots');
  await a.get('/api/v1/metrics');
  await anon.get('/api/v1/metrics');
  await a.delete(`/api/v1/targets/${tg.body.id}`);
  // alerts: channels, the send test (to a port where nothing listens), rules, notices
  const ac = await a.post('/api/v1/alerts/channels', { name: 'conf-hook', kind: 'webhook', settings: { url: 'https://127.0.0.1:9/hook', timeout_seconds: 2 } });
  await a.post('/api/v1/alerts/channels', { name: 'conf-hook', kind: 'webhook', settings: { url: 'https://127.0.0.1:9/hook' } });
  await a.post('/api/v1/alerts/channels', { name: 'conf-mail', kind: 'email', settings: { host: 'x', from: 'nobody', to: [] } });
  await a.get('/api/v1/alerts/channels?limit=5');
  await a.get(`/api/v1/alerts/channels/${ac.body.id}`);
  await a.get('/api/v1/alerts/channels/999999');
  await a.patch(`/api/v1/alerts/channels/${ac.body.id}`, { enabled: false, secret: 'conf-token' });
  await a.patch(`/api/v1/alerts/channels/${ac.body.id}`, { settings: { url: 'file:///etc' } });
  const aj = await a.post(`/api/v1/alerts/channels/${ac.body.id}/test`);
  await a.post('/api/v1/alerts/channels/999999/test');
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const j = await a.get(aj.headers.location);
    if (j.body.state !== 'running') {
      break;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  const ar = await a.post('/api/v1/alerts/rules', { event: 'target_failing', channel_id: ac.body.id, min_interval_seconds: 600 });
  await a.post('/api/v1/alerts/rules', { event: 'target_failing', channel_id: ac.body.id });
  await a.post('/api/v1/alerts/rules', { event: 'nope', channel_id: ac.body.id });
  await a.get('/api/v1/alerts/rules');
  await a.get(`/api/v1/alerts/rules/${ar.body.id}`);
  await a.get('/api/v1/alerts/rules/999999');
  await a.patch(`/api/v1/alerts/rules/${ar.body.id}`, { recovery: false });
  await a.patch(`/api/v1/alerts/rules/${ar.body.id}`, { min_interval_seconds: 9999999 });
  await a.get(`/api/v1/alerts/notices?channel_id=${ac.body.id}`);
  await a.get('/api/v1/alerts/notices?channel_id=x');
  await a.delete(`/api/v1/alerts/rules/${ar.body.id}`);
  await a.delete('/api/v1/alerts/rules/999999');
  await a.delete(`/api/v1/alerts/channels/${ac.body.id}`);
  await a.post('/api/v1/auth/logout');

  // Each answer above was checked against the spec by the client; the script covers every route.
  const statuses = new Set();
  for (const r of record) {
    const pattern = patternOf(r.method, r.path);
    assert.ok(pattern, `${r.method} ${r.path}: no route`);
    statuses.add(`${r.method} ${pattern} ${r.status}`);
  }
  const missing = table.filter((e) => ![...statuses].some((s) => s.startsWith(`${e.method} ${e.path} `)))
    .map((e) => `${e.method} ${e.path}`);
  assert.deepEqual(missing, [], 'routes the script does not exercise');
});
