// Agents: external agent ids nobody has mapped yet (their states are kept staged), mapping
// them one by one or by pasting "external id;WFM identifier" lines, and the WFM agents with
// their external ids. Every mapping recomputes the agents' spans at once.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import {
  ConfirmButton, ErrorBox, ListSearch, Notice, SEARCH_SHOW_MAX, ReadOnlyNote, Time, canChange, loadAll, matchItems,
} from '../components.js';
import { useI18n } from '../i18n/index.js';

function resultText(t, r) {
  return t('agents.paste_result', {
    mapped: r.mapped, created: r.created_agents, moved: r.moved, days: r.recomputed.days_changed,
  });
}

function UnknownRow({ item, editable, onMapped }) {
  const { t } = useI18n();
  const [identifier, setIdentifier] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const map = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post('/agent-ids', {
        source_id: item.source_id, text: `${item.ext_agent}\t${identifier.trim()}`,
      });
      onMapped(r);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`
    <tr data-testid="unknown-row" data-ext=${item.ext_agent} data-source=${item.source_id}>
      <td data-label=${t('agents.source')}>${item.source}</td>
      <td data-label=${t('agents.ext_agent')}><code data-testid="unknown-ext">${item.ext_agent}</code></td>
      <td data-label=${t('agents.count')}>${item.count}</td>
      <td data-label=${t('agents.first_seen')}><${Time} value=${item.first_seen} /></td>
      ${editable && html`
        <td data-label=${t('agents.map_to')}>
          <form class="inline-fields" onSubmit=${map}>
            <input type="text" class="input-small" maxlength="128" value=${identifier}
                   placeholder=${t('agents.identifier_placeholder')} aria-label=${t('agents.map_to')}
                   data-testid="unknown-identifier" onInput=${(e) => setIdentifier(e.currentTarget.value)} />
            <button type="submit" class="btn btn-small btn-primary" data-testid="unknown-map"
                    disabled=${busy || !identifier.trim()}>${t('agents.map')}</button>
          </form>
          <${ErrorBox} error=${error} compact testid="unknown-error" />
        </td>`}
    </tr>`;
}

function PasteForm({ sources, onMapped }) {
  const { t } = useI18n();
  const [sourceId, setSourceId] = useState('');
  const [text, setText] = useState('');
  const [create, setCreate] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const chosen = sourceId || (sources[0] ? String(sources[0].id) : '');
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post('/agent-ids', { source_id: Number(chosen), text, create_agents: create });
      setText('');
      onMapped(r);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card form-grid" id="agents-paste-form" onSubmit=${submit} novalidate>
      <h2>${t('agents.paste_title')}</h2>
      <div class="field">
        <label for="agents-paste-source">${t('agents.source')}</label>
        <select id="agents-paste-source" value=${chosen} onChange=${(e) => setSourceId(e.currentTarget.value)}>
          ${sources.map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}
        </select>
      </div>
      <div class="field field-wide">
        <label for="agents-paste-text">${t('agents.paste_label')}</label>
        <textarea id="agents-paste-text" rows="6" class="mono" spellcheck="false" value=${text}
                  onInput=${(e) => setText(e.currentTarget.value)}></textarea>
        <small class="help">${t('agents.paste_help')}</small>
      </div>
      <label class="check">
        <input type="checkbox" id="agents-paste-create" checked=${create}
               onChange=${(e) => setCreate(e.currentTarget.checked)} />
        <span>${t('agents.paste_create')}</span>
      </label>
      <${ErrorBox} error=${error} id="agents-paste-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="agents-paste-submit"
                disabled=${busy || !chosen || !text.trim()}>${t('agents.paste_submit')}</button>
      </div>
    </form>`;
}

export function AgentsPage({ session }) {
  const { t } = useI18n();
  const editable = canChange(session);
  const [unknown, setUnknown] = useState([]);
  const [agents, setAgents] = useState([]);
  const [query, setQuery] = useState('');
  const [sources, setSources] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      setSources((await loadAll('/sources')).filter((s) => s.product === 'agent_states'));
      setUnknown(await loadAll('/unknown-agents'));
      setAgents(await loadAll('/agents'));
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const onMapped = (r) => {
    setNotice(resultText(t, r));
    load();
  };
  const remove = async (a) => {
    try {
      await api.del(`/agents/${a.id}`);
      setNotice(t('agents.deleted_notice', { name: a.identifier }));
      load();
    } catch (err) {
      setError(err);
    }
  };

  return html`
    <section class="page" data-testid="agents-page">
      <h1>${t('agents.title')}</h1>
      <p class="muted">${t('agents.intro')}</p>
      ${!editable && html`<${ReadOnlyNote} />`}
      <${Notice} text=${notice} testid="agents-notice" />
      <${ErrorBox} error=${error} id="agents-error" />
      <div class="card">
        <h2>${t('agents.unknown_title')}</h2>
        <p class="muted">${t('agents.unknown_intro')}</p>
        <div class="table-wrap">
          <table class="table table-stack" id="unknown-table">
            <thead><tr>
              <th scope="col">${t('agents.source')}</th>
              <th scope="col">${t('agents.ext_agent')}</th>
              <th scope="col">${t('agents.count')}</th>
              <th scope="col">${t('agents.first_seen')}</th>
              ${editable && html`<th scope="col">${t('agents.map_to')}</th>`}
            </tr></thead>
            <tbody>
              ${unknown.map((u) => html`
                <${UnknownRow} key=${`${u.source_id}/${u.ext_agent}`} item=${u} editable=${editable}
                               onMapped=${onMapped} />`)}
              ${!loading && unknown.length === 0 && html`
                <tr><td colspan="5" class="empty">${t('agents.unknown_empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
      </div>
      ${editable && sources.length > 0 && html`<${PasteForm} sources=${sources} onMapped=${onMapped} />`}
      <div class="card">
        <h2>${t('agents.list_title')}</h2>
        <${ListSearch} id="agents-search" value=${query} onInput=${setQuery}
                       shown=${matchItems(agents, query, ['identifier', 'name']).length} total=${agents.length} />
        <div class="table-wrap">
          <table class="table table-stack" id="agents-table">
            <thead><tr>
              <th scope="col">${t('agents.identifier')}</th>
              <th scope="col">${t('agents.ext_ids')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              ${matchItems(agents, query, ['identifier', 'name']).slice(0, query.trim() ? SEARCH_SHOW_MAX : undefined).map((a) => html`
                <tr data-testid="agent-row" data-identifier=${a.identifier}>
                  <td data-label=${t('agents.identifier')}>${a.identifier}${a.name ? html` <span class="muted">${a.name}</span>` : ''}</td>
                  <td data-label=${t('agents.ext_ids')} data-testid="agent-ext-ids">
                    ${a.external_ids.map((x) => t('common.label_value', { label: x.source, value: x.ext_agent })).join(', ')}</td>
                  <td class="cell-actions"><div class="row-actions">
                    <a class="btn btn-small" href=${`#/timeline/${encodeURIComponent(a.identifier)}`}
                       data-testid="agent-timeline">${t('agents.timeline')}</a>
                    ${editable && html`
                      <${ConfirmButton} label=${t('common.delete')} testid="agent-delete"
                                        question=${t('agents.delete_question', { name: a.identifier })}
                                        onConfirm=${() => remove(a)} />`}
                  </div></td>
                </tr>`)}
              ${!loading && agents.length === 0 && html`
                <tr><td colspan="3" class="empty">${t('agents.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && html`<p class="loading">${t('common.loading')}</p>`}
      </div>
    </section>`;
}
