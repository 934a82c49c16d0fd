// Audit log: filterable table, newest first, "load more" through next_cursor.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatLocal, useI18n } from '../i18n/index.js';
import { DateInput, ErrorBox, LoadMore, Time } from '../components.js';

const PAGE_SIZE = 50;

export const AUDIT_ACTIONS = [
  'auth.login', 'auth.login_failed', 'auth.logout', 'auth.password',
  'user.create', 'user.update', 'user.delete', 'token.create', 'token.revoke',
  'backup.create', 'backup.restore', 'xlink.import',
];
const OUTCOMES = ['ok', 'denied', 'error'];

const EMPTY_FILTERS = {
  action: '', actor: '', outcome: '', since: '', since_time: '', until: '', until_time: '',
};

/** "HH:MM" or "HH:MM:SS" on a 24-hour clock (what the time fields take). */
export function validTime(text) {
  return /^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(text.trim());
}

/**
 * A local day ("YYYY-MM-DD") and a time of day typed in the reader's time zone as the API's
 * "YYYY-MM-DDTHH:MM:SSZ" ('' without a day or with a time that is none). Without a time the
 * day's start counts (end: the day's last second).
 */
export function localToIso(day, time = '', end = false) {
  if (!day || (time.trim() && !validTime(time))) {
    return '';
  }
  const [h, m, s] = (time.trim() || (end ? '23:59:59' : '00:00:00')).split(':');
  const clock = `${h.padStart(2, '0')}:${m}:${s || (end && !time.trim() ? '59' : '00')}`;
  const date = new Date(`${day}T${clock}`);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An audit entry's detail: changed fields as "field: before → after", others as "field: value" (days in
 * the language's format, true and false as its yes and no). */
export function detailText(t, detail, lang = 'en') {
  if (!detail || typeof detail !== 'object' || Object.keys(detail).length === 0) {
    return '';
  }
  const show = (value) => {
    if (value === null || value === undefined || value === '') {
      return t('audit.none');
    }
    if (value === 'changed' || value === 'cleared') {
      return t(`audit.${value}`);
    }
    if (typeof value === 'boolean') {
      return t(value ? 'common.yes' : 'common.no');
    }
    return typeof value === 'string' ? formatLocal(lang, value) : JSON.stringify(value);
  };
  return Object.entries(detail)
    .map(([key, value]) => {
      if (value && typeof value === 'object' && 'before' in value && 'after' in value) {
        return t('audit.change', { field: key, before: show(value.before), after: show(value.after) });
      }
      return t('audit.field_value', { field: key, value: show(value) });
    })
    .join(', ');
}

function actionLabel(t, action) {
  const key = `audit.action.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

function Filters({ initial, onApply }) {
  const { t } = useI18n();
  const [form, setForm] = useState(initial);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });

  const submit = (event) => {
    event.preventDefault();
    onApply(form);
  };
  const reset = () => {
    setForm(EMPTY_FILTERS);
    onApply(EMPTY_FILTERS);
  };

  return html`
    <form class="card filters" id="audit-filters" onSubmit=${submit}>
      <div class="field">
        <label for="audit-filter-action">${t('audit.action')}</label>
        <select id="audit-filter-action" value=${form.action} onChange=${set('action')}>
          <option value="">${t('audit.any')}</option>
          ${AUDIT_ACTIONS.map((a) => html`<option value=${a}>${actionLabel(t, a)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="audit-filter-actor">${t('audit.actor')}</label>
        <input id="audit-filter-actor" type="text" autocomplete="off" value=${form.actor}
               onInput=${set('actor')} />
      </div>
      <div class="field">
        <label for="audit-filter-outcome">${t('audit.outcome')}</label>
        <select id="audit-filter-outcome" value=${form.outcome} onChange=${set('outcome')}>
          <option value="">${t('audit.any')}</option>
          ${OUTCOMES.map((o) => html`<option value=${o}>${t(`audit.outcome.${o}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="audit-filter-since">${t('audit.since')}</label>
        <span class="datetime-input">
          <${DateInput} id="audit-filter-since" value=${form.since} onInput=${set('since')} />
          <input id="audit-filter-since-time" type="text" inputmode="numeric" size="8"
                 autocomplete="off" placeholder=${t('time.placeholder')} title=${t('time.help')}
                 aria-label=${t('audit.since_time')} value=${form.since_time}
                 aria-invalid=${form.since_time.trim() && !validTime(form.since_time) ? 'true' : undefined}
                 onInput=${set('since_time')} />
        </span>
      </div>
      <div class="field">
        <label for="audit-filter-until">${t('audit.until')}</label>
        <span class="datetime-input">
          <${DateInput} id="audit-filter-until" value=${form.until} onInput=${set('until')} />
          <input id="audit-filter-until-time" type="text" inputmode="numeric" size="8"
                 autocomplete="off" placeholder=${t('time.placeholder')} title=${t('time.help')}
                 aria-label=${t('audit.until_time')} value=${form.until_time}
                 aria-invalid=${form.until_time.trim() && !validTime(form.until_time) ? 'true' : undefined}
                 onInput=${set('until_time')} />
        </span>
      </div>
      <div class="actions filters-actions">
        <button type="submit" class="btn btn-primary" id="audit-apply">${t('audit.apply')}</button>
        <button type="button" class="btn" id="audit-reset" onClick=${reset}>${t('audit.reset')}</button>
      </div>
    </form>`;
}

export function AuditPage() {
  const { t, lang } = useI18n();
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);

  const load = async (activeFilters, fromCursor) => {
    setLoading(true);
    setError(null);
    if (!fromCursor) {
      setItems([]);
      setCursor(null);
    }
    try {
      const data = await api.get('/audit', {
        limit: PAGE_SIZE,
        cursor: fromCursor || undefined,
        action: activeFilters.action,
        actor: activeFilters.actor.trim(),
        outcome: activeFilters.outcome,
        since: localToIso(activeFilters.since, activeFilters.since_time),
        until: localToIso(activeFilters.until, activeFilters.until_time, true),
      });
      setItems((old) => (fromCursor ? old.concat(data.items) : data.items));
      setCursor(data.next_cursor || null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    load(EMPTY_FILTERS, null);
  }, []);

  const apply = (next) => {
    setFilters(next);
    load(next, null);
  };

  return html`
    <section class="page" data-testid="audit-page">
      <h1>${t('audit.title')}</h1>
      <${Filters} initial=${filters} onApply=${apply} />
      <div class="card">
        <${ErrorBox} error=${error} id="audit-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="audit-table">
            <thead>
              <tr>
                <th scope="col">${t('audit.time')}</th>
                <th scope="col">${t('audit.actor')}</th>
                <th scope="col">${t('audit.client')}</th>
                <th scope="col">${t('audit.action')}</th>
                <th scope="col">${t('audit.target')}</th>
                <th scope="col">${t('audit.outcome')}</th>
                <th scope="col">${t('audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              ${items.map((entry) => html`
                <tr key=${entry.id} data-testid="audit-row" data-action=${entry.action}>
                  <td data-label=${t('audit.time')}><${Time} value=${entry.ts} /></td>
                  <td data-label=${t('audit.actor')}>
                    ${entry.actor || html`<span class="muted">–</span>`}
                    <span class="muted small"> (${t(`audit.kind.${entry.actor_kind}`)})</span>
                  </td>
                  <td data-label=${t('audit.client')}><span class="mono">${entry.client}</span></td>
                  <td data-label=${t('audit.action')}>
                    <span title=${entry.action}>${actionLabel(t, entry.action)}</span></td>
                  <td data-label=${t('audit.target')}>${entry.target}</td>
                  <td data-label=${t('audit.outcome')}>
                    <span class=${`outcome outcome-${entry.outcome}`}>
                      ${t(`audit.outcome.${entry.outcome}`)}</span></td>
                  <td data-label=${t('audit.detail')} class="cell-detail">
                    <span class="mono small">${detailText(t, entry.detail, lang)}</span></td>
                </tr>`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="7" class="empty">${t('audit.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
        <${LoadMore} id="audit-more" cursor=${cursor} loading=${loading}
                     onClick=${() => load(filters, cursor)} />
      </div>
    </section>`;
}
