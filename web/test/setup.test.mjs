// Checks the proposals of the discovery set-up without a browser: value types for metric names,
// WFM identifiers from external names (unique), the ratio row for contact-layout sources, and
// that an API error naming an item is read as that item.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorField } from '../src/components.js';
import { guessValueType, metricRows, proposeIdentifier, proposeIdentifiers } from '../src/pages/discovery_setup.js';
import { readQueues } from '../src/pages/mappings_copy.js';

const TYPES = ['offered', 'handled', 'abandoned', 'aht', 'handle_time', 'asa', 'service_level']
  .map((key) => ({ key, combine: ['aht', 'asa', 'service_level'].includes(key) ? 'weighted' : 'sum' }));

test('metrics are proposed as the value type of the same or a known name', () => {
  assert.equal(guessValueType('offered', TYPES), 'offered');
  assert.equal(guessValueType('ACDCalls', TYPES), 'handled');
  assert.equal(guessValueType('Abn Calls', TYPES), 'abandoned');
  assert.equal(guessValueType('AHT', TYPES), 'aht');
  assert.equal(guessValueType('ring_time', TYPES), '');
  assert.equal(guessValueType('handled', TYPES.filter((v) => v.key !== 'handled')), '');
});

test('identifiers come from the external names, unique among themselves and the taken ones', () => {
  assert.equal(proposeIdentifier('101', 'Sales DE'), 'SALES_DE');
  assert.equal(proposeIdentifier('7', 'Kündigung & Rückruf'), 'KUNDIGUNG_RUCKRUF');
  assert.equal(proposeIdentifier('301', ''), '301');
  assert.equal(proposeIdentifier('x', '***'), 'x');
  assert.deepEqual(proposeIdentifiers([
    { ext_queue: '101', name: 'Sales' }, { ext_queue: '102', name: 'Sales' }, { ext_queue: '103', name: 'Service' },
  ], ['SERVICE']), { 101: 'SALES', 102: 'SALES_102', 103: 'SERVICE_103' });
});

test('a contact-layout source gets AHT as handle time per handled contact', () => {
  const rows = metricRows(['abandoned', 'handle_time', 'handled', 'offered'], TYPES);
  assert.deepEqual(rows.map((r) => [r.key, r.guess]), [
    ['abandoned', 'abandoned'], ['handle_time', 'handle_time'], ['handled', 'handled'], ['offered', 'offered'],
    ['handle_time/handled', 'aht'],
  ]);
  assert.deepEqual(rows[4], { key: 'handle_time/handled', metric: 'handle_time', divide_by: 'handled', guess: 'aht' });
  // a source with an average of its own needs no ratio
  assert.equal(metricRows(['aht', 'handle_time', 'handled'], TYPES).length, 3);
});

test('errors of the one-step calls name the item', () => {
  const e = (message) => ({ status: 422, code: 'invalid_field', message, hint: '' });
  assert.equal(errorField(e("queues[2].identifier: a queue with identifier 'X' exists already")), 'queues[2].identifier');
  assert.equal(errorField(e("mappings[1].value_type: no value type 'x'")), 'mappings[1].value_type');
  assert.equal(errorField(e('to[0].ext_queues.999: no mapping of queue \'A\' reads it')), 'to[0].ext_queues.999');
  assert.deepEqual(readQueues([{ inputs: [{ ext_queue: '101' }, { ext_queue: '102' }] }, { inputs: [{ ext_queue: '101' }] }]),
    ['101', '102']);
});
