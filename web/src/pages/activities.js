// Activities: the WFM's activities (built-ins renamable, others deletable) and the external
// activity codes of agent-state sources with their counts, each mapped to one activity.
// Unmapped codes count as the built-in "present". Viewers read; operators and admins change.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import {
  ConfirmButton, ErrorBox, Notice, ReadOnlyNote, Time, canChange, loadAll,
} from '../components.js';
import { activityName, useI18n } from '../i18n/index.js';

function CreateActivityForm({ onCreated }) {
  const { t } = useI18n();
  const [identifier, setIdentifier] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.post('/activities', { identifier: identifier.trim(), name: name.trim() });
      setIdentifier('');
      setName('');
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card form-grid" id="activity-create-form" onSubmit=${submit} novalidate>
      <h2>${t('activities.create_title')}</h2>
      <div class="field">
        <label for="activity-identifier">${t('activities.identifier')}</label>
        <input id="activity-identifier" type="text" class="mono" maxlength="128" autocomplete="off"
               value=${identifier} onInput=${(e) => setIdentifier(e.currentTarget.value)} />
        <small class="help">${t('activities.identifier_help')}</small>
      </div>
      <div class="field">
        <label for="activity-name">${t('activities.name')}</label>
        <input id="activity-name" type="text" maxlength="256" autocomplete="off" value=${name}
               onInput=${(e) => setName(e.currentTarget.value)} />
      </div>
      <${ErrorBox} error=${error} id="activity-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="activity-create-submit"
                disabled=${busy || !identifier.trim() || !name.trim()}>${t('activities.create_submit')}</button>
      </div>
    </form>`;
}

function CodeRow({ code, activities, editable, onMapped }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const change = async (e) => {
    const value = e.currentTarget.value;
    setBusy(true);
    setError(null);
    try {
      const updated = await api.post('/activity-codes', {
        source_id: code.source_id, code: code.code, activity: value || null,
      });
      onMapped(updated);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <tr data-testid="code-row" data-code=${code.code} data-source=${code.source_id}
        data-mapped=${code.activity ? 'true' : 'false'}>
      <td data-label=${t('activities.source')}>${code.source}</td>
      <td data-label=${t('activities.code')}><code data-testid="code-code">${code.code}</code></td>
      <td data-label=${t('activities.code_name')}>${code.name || ''}</td>
      <td data-label=${t('activities.count')} data-testid="code-count">${code.count}</td>
      <td data-label=${t('activities.first_seen')}><${Time} value=${code.first_seen} /></td>
      <td data-label=${t('activities.mapped_to')}>
        ${editable
          ? html`
            <select class="select-small" value=${code.activity || ''} disabled=${busy}
                    aria-label=${t('activities.mapped_to')} data-testid="code-activity"
                    onChange=${change}>
              <option value="">${t('activities.unmapped_option')}</option>
              ${activities.filter((a) => a.builtin !== 'logged_out').map((a) => html`
                <option value=${a.identifier}>${activityName(t, a)} (${a.identifier})</option>`)}
            </select>`
          : html`<span data-testid="code-activity-text">${code.activity || t('activities.unmapped_option')}</span>`}
        <${ErrorBox} error=${error} compact testid="code-error" />
      </td>
    </tr>`;
}

export function ActivitiesPage({ session }) {
  const { t } = useI18n();
  const editable = canChange(session);
  const [activities, setActivities] = useState([]);
  const [codes, setCodes] = useState([]);
  const [unmappedOnly, setUnmappedOnly] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      setActivities(await loadAll('/activities'));
      setCodes(await loadAll('/activity-codes', unmappedOnly ? { unmapped: 'true' } : {}));
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, [unmappedOnly]);

  const remove = async (a) => {
    setError(null);
    try {
      await api.del(`/activities/${a.id}`);
      setNotice(t('activities.deleted_notice', { name: a.identifier }));
      load();
    } catch (err) {
      setError(err);
    }
  };
  const onMapped = (updated) => {
    setCodes((old) => old.map((c) => (c.source_id === updated.source_id && c.code === updated.code ? updated : c)));
    setNotice(t('activities.mapped_notice', {
      code: updated.code, activity: updated.activity || t('activities.unmapped_option'),
      days: updated.recomputed ? updated.recomputed.days_changed : 0,
    }));
  };

  return html`
    <section class="page" data-testid="activities-page">
      <h1>${t('activities.title')}</h1>
      <p class="muted">${t('activities.intro')}</p>
      ${editable
        ? html`<${CreateActivityForm} onCreated=${(a) => { setNotice(t('activities.created_notice', { name: a.identifier })); load(); }} />`
        : html`<${ReadOnlyNote} />`}
      <${Notice} text=${notice} testid="activities-notice" />
      <${ErrorBox} error=${error} id="activities-error" />
      <div class="card">
        <h2>${t('activities.list_title')}</h2>
        <div class="table-wrap">
          <table class="table table-stack" id="activities-table">
            <thead><tr>
              <th scope="col">${t('activities.identifier')}</th>
              <th scope="col">${t('activities.name')}</th>
              <th scope="col">${t('activities.kind')}</th>
              ${editable && html`<th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
            </tr></thead>
            <tbody>
              ${activities.map((a) => html`
                <tr data-testid="activity-row" data-identifier=${a.identifier}>
                  <td data-label=${t('activities.identifier')}><code>${a.identifier}</code></td>
                  <td data-label=${t('activities.name')}>${activityName(t, a)}</td>
                  <td data-label=${t('activities.kind')}>
                    ${a.builtin
                      ? html`<span class="tag tag-builtin">${t(`activities.builtin.${a.builtin}`)}</span>`
                      : html`<span class="tag">${t('activities.custom')}</span>`}
                  </td>
                  ${editable && html`
                    <td class="cell-actions">${!a.builtin && html`
                      <${ConfirmButton} label=${t('common.delete')} testid="activity-delete"
                                        question=${t('activities.delete_question', { name: a.identifier })}
                                        onConfirm=${() => remove(a)} />`}</td>`}
                </tr>`)}
            </tbody>
          </table>
        </div>
      </div>
      <div class="card">
        <h2>${t('activities.codes_title')}</h2>
        <p class="muted">${t('activities.codes_intro')}</p>
        <label class="check">
          <input type="checkbox" id="codes-unmapped-only" checked=${unmappedOnly}
                 onChange=${(e) => setUnmappedOnly(e.currentTarget.checked)} />
          <span>${t('activities.unmapped_only')}</span>
        </label>
        <div class="table-wrap">
          <table class="table table-stack" id="codes-table">
            <thead><tr>
              <th scope="col">${t('activities.source')}</th>
              <th scope="col">${t('activities.code')}</th>
              <th scope="col">${t('activities.code_name')}</th>
              <th scope="col">${t('activities.count')}</th>
              <th scope="col">${t('activities.first_seen')}</th>
              <th scope="col">${t('activities.mapped_to')}</th>
            </tr></thead>
            <tbody>
              ${codes.map((c) => html`
                <${CodeRow} key=${`${c.source_id}/${c.code}`} code=${c} activities=${activities}
                            editable=${editable} onMapped=${onMapped} />`)}
              ${!loading && codes.length === 0 && html`
                <tr><td colspan="6" class="empty">${t('activities.codes_empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && html`<p class="loading">${t('common.loading')}</p>`}
      </div>
    </section>`;
}
