// WFM queues: paged list, create, inline edit, delete. Viewers read; operators and admins change.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { messageText, useI18n } from '../i18n/index.js';
import {
  ErrorBox, FieldError, ListSearch, LoadMore, SEARCH_SHOW_MAX, Notice, ReadOnlyNote, TimeZoneInput,
  browserTimeZone, canChange, fieldErrors, matchItems, useScrollToError,
} from '../components.js';
import { DeleteWithConsequences } from './delete_dialog.js';

const PAGE_SIZE = 50;

export const CHANNELS = ['calls', 'chats', 'emails', 'messages', 'social', 'tasks', 'other'];
export const INTERVALS = [15, 30, 60];
const FIELDS = ['identifier', 'name', 'channel', 'interval_minutes', 'time_zone'];

const resolveField = (field) => (FIELDS.includes(field) ? field : '');

export function ChannelOptions() {
  const { t } = useI18n();
  return CHANNELS.map((c) => html`<option value=${c}>${t(`queues.channel.${c}`)}</option>`);
}

export function IntervalOptions() {
  const { t } = useI18n();
  return INTERVALS.map((m) => html`<option value=${String(m)}>${t('common.minutes', { n: m })}</option>`);
}

function emptyQueue() {
  return { identifier: '', name: '', channel: 'calls', interval_minutes: '15', time_zone: browserTimeZone() };
}

function CreateQueueForm({ onStart, onCreated }) {
  const { t } = useI18n();
  const [form, setForm] = useState(emptyQueue);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const fe = fieldErrors(error, resolveField, 'identifier');

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    onStart();
    try {
      const queue = await api.post('/queues', {
        identifier: form.identifier.trim(),
        name: form.name.trim(),
        channel: form.channel,
        interval_minutes: Number(form.interval_minutes),
        time_zone: form.time_zone.trim(),
      });
      setForm({ ...emptyQueue(), channel: form.channel, interval_minutes: form.interval_minutes,
        time_zone: form.time_zone });
      onCreated(queue);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form class="card form-grid" id="queue-create-form" ref=${ref} onSubmit=${submit} novalidate>
      <h2>${t('queues.create_title')}</h2>
      <div class="field">
        <label for="queue-create-identifier">${t('queues.identifier')}</label>
        <input id="queue-create-identifier" type="text" autocomplete="off" spellcheck="false"
               maxlength="128" value=${form.identifier} onInput=${set('identifier')}
               aria-invalid=${fe.at('identifier') ? 'true' : undefined} />
        <small class="help">${t('queues.identifier_help')}</small>
        <${FieldError} error=${fe.at('identifier')} id="queue-create-identifier-error" field="identifier" />
      </div>
      <div class="field">
        <label for="queue-create-name">${t('queues.name')}</label>
        <input id="queue-create-name" type="text" autocomplete="off" maxlength="256"
               value=${form.name} onInput=${set('name')}
               aria-invalid=${fe.at('name') ? 'true' : undefined} />
        <${FieldError} error=${fe.at('name')} id="queue-create-name-error" field="name" />
      </div>
      <div class="field">
        <label for="queue-create-channel">${t('queues.channel')}</label>
        <select id="queue-create-channel" value=${form.channel} onChange=${set('channel')}>
          <${ChannelOptions} />
        </select>
        <${FieldError} error=${fe.at('channel')} id="queue-create-channel-error" field="channel" />
      </div>
      <div class="field">
        <label for="queue-create-interval">${t('queues.interval')}</label>
        <select id="queue-create-interval" value=${form.interval_minutes}
                onChange=${set('interval_minutes')}>
          <${IntervalOptions} />
        </select>
        <${FieldError} error=${fe.at('interval_minutes')} id="queue-create-interval-error"
                       field="interval_minutes" />
      </div>
      <div class="field">
        <label for="queue-create-tz">${t('queues.time_zone')}</label>
        <${TimeZoneInput} id="queue-create-tz" value=${form.time_zone}
                          invalid=${Boolean(fe.at('time_zone'))}
                          onInput=${(v) => setForm({ ...form, time_zone: v })} />
        <small class="help">${t('queues.time_zone_help')}</small>
        <${FieldError} error=${fe.at('time_zone')} id="queue-create-tz-error" field="time_zone" />
      </div>
      <${ErrorBox} error=${fe.rest} id="queue-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="queue-create-submit"
                disabled=${busy || !form.identifier.trim() || !form.name.trim() || !form.time_zone.trim()}>
          ${t('queues.create_submit')}</button>
      </div>
    </form>`;
}

function QueueRow({ queue, editable, onChanged, onDeleted }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(null); // the form while editing
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const fe = fieldErrors(editing ? error : null, resolveField, 'identifier');

  const startEdit = () => {
    setEditing({ ...queue, interval_minutes: String(queue.interval_minutes) });
    setError(null);
    setNotice('');
  };
  const set = (key) => (e) => setEditing({ ...editing, [key]: e.currentTarget.value });

  const save = async (event) => {
    if (event) {
      event.preventDefault();
    }
    const body = {};
    for (const key of ['identifier', 'name', 'channel', 'time_zone']) {
      const value = key === 'channel' ? editing[key] : editing[key].trim();
      if (value !== queue[key]) {
        body[key] = value;
      }
    }
    if (Number(editing.interval_minutes) !== queue.interval_minutes) {
      body.interval_minutes = Number(editing.interval_minutes);
    }
    if (Object.keys(body).length === 0) {
      setEditing(null);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const updated = await api.patch(`/queues/${queue.id}`, body);
      onChanged(updated);
      setEditing(null);
      setNotice(t('queues.saved_notice', { name: updated.identifier }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const rowMessage = (error && !fe.slot) || notice;
  const cell = (key, control) => html`
    ${control}
    <${FieldError} error=${fe.at(key)} id=${`queue-edit-${key}-error`} field=${key} />`;

  if (editing) {
    return html`
      <tr data-testid="queue-row" data-identifier=${queue.identifier} data-id=${queue.id}
          class="row-editing">
        <td data-label=${t('queues.identifier')}>${cell('identifier', html`
          <input type="text" class="input-small" maxlength="128" value=${editing.identifier}
                 aria-label=${t('queues.identifier')} data-testid="queue-edit-identifier"
                 onInput=${set('identifier')} />`)}</td>
        <td data-label=${t('queues.name')}>${cell('name', html`
          <input type="text" class="input-small" maxlength="256" value=${editing.name}
                 aria-label=${t('queues.name')} data-testid="queue-edit-name"
                 onInput=${set('name')} />`)}</td>
        <td data-label=${t('queues.channel')}>${cell('channel', html`
          <select class="select-small" value=${editing.channel} aria-label=${t('queues.channel')}
                  data-testid="queue-edit-channel" onChange=${set('channel')}>
            <${ChannelOptions} />
          </select>`)}</td>
        <td data-label=${t('queues.interval')}>${cell('interval_minutes', html`
          <select class="select-small" value=${editing.interval_minutes}
                  aria-label=${t('queues.interval')} data-testid="queue-edit-interval"
                  onChange=${set('interval_minutes')}>
            <${IntervalOptions} />
          </select>`)}</td>
        <td data-label=${t('queues.time_zone')}>${cell('time_zone', html`
          <${TimeZoneInput} id=${`queue-edit-tz-${queue.id}`} value=${editing.time_zone}
                            testid="queue-edit-tz" small label=${t('queues.time_zone')}
                            onInput=${(v) => setEditing({ ...editing, time_zone: v })} />`)}</td>
        <td class="cell-actions"><div class="row-actions">
          <button type="button" class="btn btn-small btn-primary" disabled=${busy}
                  data-testid="queue-save" onClick=${save}>${t('common.save')}</button>
          <button type="button" class="btn btn-small" disabled=${busy}
                  data-testid="queue-cancel"
                  onClick=${() => { setEditing(null); setError(null); }}>${t('common.cancel')}</button>
        </div></td>
      </tr>
      ${rowMessage && html`
        <tr class="row-message"><td colspan="6">
          <${ErrorBox} error=${fe.rest} testid="queue-row-error" />
        </td></tr>`}`;
  }

  return html`
    <tr data-testid="queue-row" data-identifier=${queue.identifier} data-id=${queue.id}>
      <td data-label=${t('queues.identifier')}>
        <span class="cell-name mono" data-testid="queue-identifier">${queue.identifier}</span></td>
      <td data-label=${t('queues.name')} data-testid="queue-name">${queue.name}</td>
      <td data-label=${t('queues.channel')} data-testid="queue-channel">
        ${t(`queues.channel.${queue.channel}`)}</td>
      <td data-label=${t('queues.interval')} data-testid="queue-interval">
        ${t('common.minutes', { n: queue.interval_minutes })}</td>
      <td data-label=${t('queues.time_zone')} data-testid="queue-tz">${queue.time_zone}</td>
      ${editable && html`
        <td class="cell-actions"><div class="row-actions">
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="queue-edit"
                  onClick=${startEdit}>${t('common.edit')}</button>
          <${DeleteWithConsequences} kind="queues" id=${queue.id} name=${queue.identifier}
                                     disabled=${busy} testid="queue-delete"
                                     onDeleted=${(answer) => onDeleted(queue, answer)} />
        </div></td>`}
    </tr>
    ${rowMessage && html`
      <tr class="row-message"><td colspan=${editable ? 6 : 5}>
        <${ErrorBox} error=${error} testid="queue-row-error" />
        <${Notice} text=${!error && notice} testid="queue-row-notice" />
      </td></tr>`}`;
}

export function QueuesPage({ session }) {
  const { t, lang } = useI18n();
  const editable = canChange(session);
  const [items, setItems] = useState([]);
  const [query, setQuery] = useState('');
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const load = async (fromCursor, size = PAGE_SIZE) => {
    setLoading(true);
    setError(null);
    try {
      const data = await api.get('/queues', { limit: size, cursor: fromCursor || undefined });
      setItems((old) => (fromCursor ? old.concat(data.items) : data.items));
      setCursor(data.next_cursor || null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  // a search covers every entry, not only the pages loaded so far: the rest comes 500 at a time
  useEffect(() => {
    if (query.trim() && cursor && !loading && !error) {
      load(cursor, 500);
    }
  }, [query, cursor, loading]);

  useEffect(() => {
    load(null);
  }, []);

  const onCreated = (queue) => {
    setNotice(t('queues.created_notice', { name: queue.identifier }));
    load(null);
  };
  const onChanged = (queue) => setItems((old) => old.map((q) => (q.id === queue.id ? queue : q)));
  const onDeleted = (queue, answer) => {
    setItems((old) => old.filter((q) => q.id !== queue.id));
    setNotice(answer ? messageText(t, answer, lang) : t('queues.deleted_notice', { name: queue.identifier }));
  };
  const columns = editable ? 6 : 5;

  return html`
    <section class="page" data-testid="queues-page">
      <h1>${t('queues.title')}</h1>
      <p class="muted">${t('queues.intro')}</p>
      ${editable
        ? html`<${CreateQueueForm} onStart=${() => setNotice('')} onCreated=${onCreated} />`
        : html`<${ReadOnlyNote} />`}
      <${Notice} text=${notice} testid="queues-notice" />
      <div class="card">
        <h2>${t('queues.list_title')}</h2>
        <${ErrorBox} error=${error} id="queues-error" />
        <${ListSearch} id="queues-search" value=${query} onInput=${setQuery}
                       shown=${matchItems(items, query, ['identifier', 'name']).length} total=${items.length} />
        <div class="table-wrap">
          <table class="table table-stack" id="queues-table">
            <thead>
              <tr>
                <th scope="col">${t('queues.identifier')}</th>
                <th scope="col">${t('queues.name')}</th>
                <th scope="col">${t('queues.channel')}</th>
                <th scope="col">${t('queues.interval')}</th>
                <th scope="col">${t('queues.time_zone')}</th>
                ${editable && html`
                  <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
              </tr>
            </thead>
            <tbody>
              ${matchItems(items, query, ['identifier', 'name']).slice(0, query.trim() ? SEARCH_SHOW_MAX : undefined).map((queue) => html`
                <${QueueRow} key=${queue.id} queue=${queue} editable=${editable}
                             onChanged=${onChanged} onDeleted=${onDeleted} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan=${columns} class="empty">${t('queues.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
        <${LoadMore} id="queues-more" cursor=${cursor} loading=${loading} onClick=${() => load(cursor)} />
      </div>
    </section>`;
}
