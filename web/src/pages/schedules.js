// Schedules: when a source's runs start by themselves ("every N minutes" after each interval
// boundary, or "daily at HH:MM" for the previous days). List with the next firing in the
// source's own zone, one form for create and edit, enable/disable, delete and "run now".
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import {
  ConfirmButton, ErrorBox, FieldError, Notice, ReadOnlyNote, canChange, fieldErrors, loadAll,
  useScrollToError,
} from '../components.js';

const KINDS = ['every', 'daily'];

/**
 * A UTC timestamp shown as the wall time of `zone` in the reader's language, with the zone
 * named ("6 Dec 2026, 08:05 Europe/Berlin"); the UTC value is in the tooltip.
 */
export function ZonedTime({ value, zone, testid }) {
  const { lang, t } = useI18n();
  if (!value) {
    return html`<span class="muted" data-testid=${testid}>${t('schedules.no_next')}</span>`;
  }
  const date = new Date(value);
  const format = (timeZone) => new Intl.DateTimeFormat(lang,
    { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
  let shown = zone;
  let text;
  try {
    text = format(zone);
  } catch {
    shown = 'UTC'; // a zone the browser does not know: the UTC time, named as such
    text = format('UTC');
  }
  return html`
    <time datetime=${value} title=${value} data-testid=${testid} data-zone=${shown}>
      ${text} <span class="muted">${shown}</span></time>`;
}

/** "Every 15 min, 5 min after" / "Daily at 06:30, the previous 3 days". */
export function ruleText(t, s) {
  if (s.kind === 'every') {
    return t('schedules.rule_every', { n: s.every_minutes, offset: s.offset_minutes });
  }
  return s.days_back === 1 ? t('schedules.rule_daily_one', { at: s.daily_at })
    : t('schedules.rule_daily', { at: s.daily_at, n: s.days_back });
}

function formOf(schedule, sources) {
  if (schedule) {
    return {
      source_id: String(schedule.source.id), kind: schedule.kind,
      every_minutes: String(schedule.every_minutes ?? 15),
      offset_minutes: String(schedule.offset_minutes ?? 0),
      daily_at: schedule.daily_at || '06:00', days_back: String(schedule.days_back ?? 1),
      enabled: schedule.enabled, zero_fill: schedule.zero_fill,
    };
  }
  return {
    source_id: sources.length ? String(sources[0].id) : '', kind: 'every', every_minutes: '15',
    offset_minutes: '5', daily_at: '06:00', days_back: '1', enabled: true, zero_fill: false,
  };
}

/** A number field's text as sent: an integer when it is one, else the text (the daemon says why). */
function intOf(text) {
  const v = String(text).trim();
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

/** The body of POST (with source_id) or PATCH: the fields of the chosen kind only. */
export function scheduleBody(form, create) {
  const body = create ? { source_id: Number(form.source_id), kind: form.kind } : { kind: form.kind };
  if (form.kind === 'every') {
    body.every_minutes = intOf(form.every_minutes);
    body.offset_minutes = intOf(form.offset_minutes);
  } else {
    body.daily_at = form.daily_at.trim();
    body.days_back = intOf(form.days_back);
  }
  body.enabled = form.enabled;
  body.zero_fill = form.zero_fill;
  return body;
}

const FIELDS = ['source_id', 'kind', 'every_minutes', 'offset_minutes', 'daily_at', 'days_back',
  'enabled', 'zero_fill'];

function ScheduleForm({ schedule, sources, onCancel, onSaved }) {
  const { t } = useI18n();
  const create = !schedule;
  const [form, setForm] = useState(() => formOf(schedule, sources));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const fe = fieldErrors(error, (f) => (FIELDS.includes(f) ? f : ''));
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const check = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.checked });
  const prefix = create ? 'schedule-create' : 'schedule-edit';

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = create
        ? await api.post('/schedules', scheduleBody(form, true))
        : await api.patch(`/schedules/${schedule.id}`, scheduleBody(form, false));
      onSaved(saved, create);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const text = (key, label, help, props = {}) => html`
    <div class="field" data-slot=${key}>
      <label for=${`${prefix}-${key}`}>${label}</label>
      <input id=${`${prefix}-${key}`} type="text" autocomplete="off" spellcheck="false"
             value=${form[key]} onInput=${set(key)} aria-invalid=${fe.at(key) ? 'true' : undefined}
             ...${props} />
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(key)} id=${`${prefix}-${key}-error`} field=${key} />
    </div>`;
  const box = (key, label, help) => html`
    <div class="field field-check" data-slot=${key}>
      <label class="check">
        <input type="checkbox" id=${`${prefix}-${key}`} checked=${form[key]} onChange=${check(key)} />
        <span>${label}</span>
      </label>
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(key)} id=${`${prefix}-${key}-error`} field=${key} />
    </div>`;
  const source = sources.find((s) => String(s.id) === form.source_id);

  return html`
    <form class="card form-grid" id=${`${prefix}-form`} ref=${ref} onSubmit=${submit} novalidate
          data-testid="schedule-form">
      <h2>${create ? t('schedules.create_title') : t('schedules.edit_title', { name: schedule.source.name })}</h2>
      <div class="field" data-slot="source_id">
        <label for=${`${prefix}-source_id`}>${t('schedules.source')}</label>
        <select id=${`${prefix}-source_id`} value=${form.source_id} onChange=${set('source_id')}
                disabled=${!create}>
          ${sources.map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}
        </select>
        ${source && html`<small class="help">${t('schedules.source_zone', { zone: source.time_zone })}</small>`}
        <${FieldError} error=${fe.at('source_id')} id=${`${prefix}-source_id-error`} field="source_id" />
      </div>
      <div class="field" data-slot="kind">
        <label for=${`${prefix}-kind`}>${t('schedules.kind')}</label>
        <select id=${`${prefix}-kind`} value=${form.kind} onChange=${set('kind')}>
          ${KINDS.map((k) => html`<option value=${k}>${t(`schedules.kind.${k}`)}</option>`)}
        </select>
        <small class="help">${t(`schedules.kind_help.${form.kind}`)}</small>
        <${FieldError} error=${fe.at('kind')} id=${`${prefix}-kind-error`} field="kind" />
      </div>
      ${form.kind === 'every' && html`
        ${text('every_minutes', t('schedules.every_minutes'), t('schedules.every_minutes_help'), { inputmode: 'numeric' })}
        ${text('offset_minutes', t('schedules.offset_minutes'), t('schedules.offset_minutes_help'), { inputmode: 'numeric' })}`}
      ${form.kind === 'daily' && html`
        ${text('daily_at', t('schedules.daily_at'), t('schedules.daily_at_help'), { placeholder: 'HH:MM', maxlength: 8 })}
        ${text('days_back', t('schedules.days_back'), t('schedules.days_back_help'), { inputmode: 'numeric' })}`}
      ${box('enabled', t('schedules.enabled_label'), '')}
      ${box('zero_fill', t('schedules.zero_fill'), t('schedules.zero_fill_help'))}
      <${ErrorBox} error=${fe.rest} id=${`${prefix}-error`} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id=${`${prefix}-submit`}
                disabled=${busy || !form.source_id}>
          ${create ? t('schedules.create_submit') : t('common.save')}</button>
        <button type="button" class="btn" id=${`${prefix}-cancel`} onClick=${onCancel}>
          ${t('common.cancel')}</button>
      </div>
    </form>`;
}

function ScheduleRow({ schedule, editable, onEdit, onChanged, onDeleted }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [queued, setQueued] = useState(null);

  const act = async (fn) => {
    setBusy(true);
    setError(null);
    setQueued(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const toggle = () => act(async () => onChanged(
    await api.patch(`/schedules/${schedule.id}`, { enabled: !schedule.enabled })));
  const runNow = () => act(async () => setQueued(await api.post(`/schedules/${schedule.id}/run`)));
  const remove = () => act(async () => {
    await api.del(`/schedules/${schedule.id}`);
    onDeleted(schedule);
  });
  const off = !schedule.enabled || !schedule.source.enabled;

  return html`
    <tr data-testid="schedule-row" data-id=${schedule.id} data-source=${schedule.source.name}
        class=${off ? 'row-disabled' : ''}>
      <td data-label=${t('schedules.source')}><span class="cell-name">${schedule.source.name}</span></td>
      <td data-label=${t('schedules.rule')} data-testid="schedule-rule">
        ${ruleText(t, schedule)}${schedule.zero_fill ? html` <span class="badge">${t('schedules.zero_fill_badge')}</span>` : ''}</td>
      <td data-label=${t('schedules.next_run')}>
        <${ZonedTime} value=${off ? null : schedule.next_run_at} zone=${schedule.source.time_zone}
                      testid="schedule-next" />
        ${!schedule.source.enabled && html`<small class="help" data-testid="schedule-source-off">
          ${t('schedules.source_disabled')}</small>`}</td>
      <td data-label=${t('schedules.last_run')} data-testid="schedule-last">
        ${schedule.last_run_id
          ? html`<a href=${`#/runs/${schedule.last_run_id}`}>#${schedule.last_run_id}</a>`
          : html`<span class="muted">${t('common.never')}</span>`}</td>
      <td data-label=${t('schedules.status')}>
        <span class=${schedule.enabled ? 'status status-on' : 'status status-off'} data-testid="schedule-status">
          ${schedule.enabled ? t('schedules.enabled') : t('schedules.disabled')}</span></td>
      <td class="cell-actions"><div class="row-actions">
        ${editable && html`
          <button type="button" class="btn btn-small" disabled=${busy || !schedule.source.enabled}
                  data-testid="schedule-run" onClick=${runNow}>${t('schedules.run_now')}</button>
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="schedule-edit"
                  onClick=${() => onEdit(schedule)}>${t('common.edit')}</button>
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="schedule-toggle"
                  onClick=${toggle}>${schedule.enabled ? t('schedules.disable') : t('schedules.enable')}</button>
          <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                            question=${t('schedules.delete_question', { name: schedule.source.name, rule: ruleText(t, schedule) })}
                            testid="schedule-delete" onConfirm=${remove} />`}
      </div></td>
    </tr>
    ${(error || queued) && html`
      <tr class="row-message"><td colspan="6">
        <${ErrorBox} error=${error} testid="schedule-row-error" />
        ${queued && html`
          <div class="notice" role="status" data-testid="schedule-run-notice" data-run=${queued.id}>
            ${t('schedules.run_queued', { from: queued.from, to: queued.to })}
            ${' '}<a href=${`#/runs/${queued.id}`} data-testid="schedule-run-link">${t('schedules.open_run', { id: queued.id })}</a>
          </div>`}
      </td></tr>`}`;
}

export function SchedulesPage({ session }) {
  const { t } = useI18n();
  const editable = canChange(session);
  const [items, setItems] = useState([]);
  const [sources, setSources] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const [open, setOpen] = useState(null); // {schedule|null, key}
  const top = useRef(null);

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      const [list, srcs] = await Promise.all([loadAll('/schedules'), loadAll('/sources')]);
      setItems(list);
      setSources(srcs);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, []);

  // Once the earliest shown firing has passed, read the list again (its next firing and last
  // run changed); at least 5 s apart, at the latest after 10 minutes.
  useEffect(() => {
    const times = items.filter((s) => s.enabled && s.source.enabled && s.next_run_at)
      .map((s) => Date.parse(s.next_run_at));
    if (!times.length) {
      return undefined;
    }
    const wait = Math.min(Math.max(Math.min(...times) - Date.now() + 5000, 5000), 600000);
    const timer = setTimeout(() => {
      loadAll('/schedules').then(setItems).catch(() => {}); // a failed read keeps the list
    }, wait);
    return () => clearTimeout(timer);
  }, [items]);

  const openForm = (schedule) => {
    setNotice('');
    setOpen({ schedule, key: `${schedule ? schedule.id : 'new'}-${Date.now()}` });
    if (top.current && typeof top.current.scrollIntoView === 'function') {
      top.current.scrollIntoView({ block: 'start' });
    }
  };
  const onSaved = (saved, created) => {
    setOpen(null);
    setNotice(t(created ? 'schedules.created_notice' : 'schedules.saved_notice', { name: saved.source.name }));
    setItems((old) => (created ? old.concat([saved]) : old.map((s) => (s.id === saved.id ? saved : s))));
  };
  const onChanged = (saved) => {
    setItems((old) => old.map((s) => (s.id === saved.id ? saved : s)));
    if (open && open.schedule && open.schedule.id === saved.id) {
      setOpen(null); // the form would hold stale values
    }
  };
  const onDeleted = (gone) => {
    setItems((old) => old.filter((s) => s.id !== gone.id));
    if (open && open.schedule && open.schedule.id === gone.id) {
      setOpen(null);
    }
    setNotice(t('schedules.deleted_notice', { name: gone.source.name }));
  };

  return html`
    <section class="page" data-testid="schedules-page" ref=${top}>
      <div class="page-head">
        <h1>${t('schedules.title')}</h1>
        ${editable && !open && html`
          <button type="button" class="btn btn-primary" id="schedule-new" disabled=${!sources.length}
                  onClick=${() => openForm(null)}>${t('schedules.new')}</button>`}
      </div>
      <p class="muted">${t('schedules.intro')}</p>
      ${!editable && html`<${ReadOnlyNote} />`}
      ${editable && !loading && !sources.length && html`<p class="muted" data-testid="schedules-no-sources">
        ${t('schedules.no_sources')} <a href="#/sources">${t('nav.sources')}</a></p>`}
      ${open && html`
        <${ScheduleForm} key=${open.key} schedule=${open.schedule} sources=${sources}
                         onCancel=${() => setOpen(null)} onSaved=${onSaved} />`}
      <${Notice} text=${notice} testid="schedules-notice" />
      <div class="card">
        <h2>${t('schedules.list_title')}</h2>
        <${ErrorBox} error=${error} id="schedules-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="schedules-table">
            <thead><tr>
              <th scope="col">${t('schedules.source')}</th>
              <th scope="col">${t('schedules.rule')}</th>
              <th scope="col">${t('schedules.next_run')}</th>
              <th scope="col">${t('schedules.last_run')}</th>
              <th scope="col">${t('schedules.status')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              ${items.map((s) => html`
                <${ScheduleRow} key=${s.id} schedule=${s} editable=${editable} onEdit=${openForm}
                                onChanged=${onChanged} onDeleted=${onDeleted} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="6" class="empty">${t('schedules.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && html`<p class="loading">${t('common.loading')}</p>`}
      </div>
    </section>`;
}
