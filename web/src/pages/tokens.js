// API tokens: list, create (the secret is shown once, never stored), revoke.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ConfirmButton, ErrorBox, LoadMore, Notice, RoleBadge, RoleOptions, Time } from '../components.js';

const PAGE_SIZE = 50;

/** The one-time display of a new token's secret, with a copy button. */
function SecretBox({ token, onDone }) {
  const { t } = useI18n();
  const input = useRef(null);
  const [copied, setCopied] = useState('');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied('ok');
    } catch {
      // Clipboard API refused (permissions): select the text so Ctrl+C works.
      if (input.current) {
        input.current.focus();
        input.current.select();
      }
      setCopied('manual');
    }
  };

  return html`
    <div class="card secret-box" role="region" aria-labelledby="token-secret-title"
         data-testid="token-secret-box">
      <h2 id="token-secret-title">${t('tokens.secret_title', { name: token.name })}</h2>
      <p class="warning" data-testid="token-secret-warning">${t('tokens.secret_warning')}</p>
      <div class="secret-row">
        <label class="visually-hidden" for="token-secret">${t('tokens.secret_label')}</label>
        <input id="token-secret" ref=${input} class="mono" type="text" readonly
               value=${token.token} onFocus=${(e) => e.currentTarget.select()} />
        <button type="button" class="btn btn-primary" id="token-copy" onClick=${copy}>
          ${copied === 'ok' ? t('tokens.copied') : t('tokens.copy')}</button>
      </div>
      ${copied === 'manual' && html`<p class="help">${t('tokens.copy_manual')}</p>`}
      <div class="actions">
        <button type="button" class="btn" id="token-secret-done" onClick=${onDone}>
          ${t('tokens.secret_done')}</button>
      </div>
    </div>`;
}

function CreateTokenForm({ onCreated }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await api.post('/tokens', { name: name.trim(), role });
      setName('');
      setRole('viewer');
      onCreated(token);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form class="card form-grid" id="token-create-form" onSubmit=${submit} novalidate>
      <h2>${t('tokens.create_title')}</h2>
      <div class="field">
        <label for="token-create-name">${t('tokens.name')}</label>
        <input id="token-create-name" type="text" autocomplete="off" maxlength="64" value=${name}
               onInput=${(e) => setName(e.currentTarget.value)} />
        <small class="help">${t('tokens.name_help')}</small>
      </div>
      <div class="field">
        <label for="token-create-role">${t('tokens.role')}</label>
        <select id="token-create-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
          <${RoleOptions} />
        </select>
      </div>
      <${ErrorBox} error=${error} id="token-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="token-create-submit"
                disabled=${busy || !name.trim()}>${t('tokens.create_submit')}</button>
      </div>
    </form>`;
}

function TokenRow({ token, onRevoked }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const revoke = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/tokens/${token.id}`);
      onRevoked(token);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <tr data-testid="token-row" data-name=${token.name} data-id=${token.id}
        class=${token.revoked_at ? 'row-disabled' : ''}>
      <td data-label=${t('tokens.name')}><span class="cell-name">${token.name}</span></td>
      <td data-label=${t('tokens.role')}><${RoleBadge} role=${token.role} /></td>
      <td data-label=${t('tokens.prefix')}><code>${token.prefix}</code></td>
      <td data-label=${t('tokens.created')}>
        <${Time} value=${token.created_at} />
        ${token.created_by !== undefined && token.created_by !== null && html`
          <span class="muted"> ${t('tokens.by', { who: token.created_by })}</span>`}
      </td>
      <td data-label=${t('tokens.last_used')}><${Time} value=${token.last_used_at} /></td>
      <td data-label=${t('tokens.status')}>
        ${token.revoked_at
          ? html`<span class="status status-off" data-testid="token-status">
              ${t('tokens.revoked')} <${Time} value=${token.revoked_at} /></span>`
          : html`<span class="status status-on" data-testid="token-status">${t('tokens.active')}</span>`}
      </td>
      <td class="cell-actions"><div class="row-actions">
        ${!token.revoked_at && html`
          <${ConfirmButton} label=${t('tokens.revoke')} disabled=${busy}
                            question=${t('tokens.revoke_question', { name: token.name })}
                            testid="token-revoke" onConfirm=${revoke} />`}
      </div></td>
    </tr>
    ${error && html`
      <tr class="row-message"><td colspan="7"><${ErrorBox} error=${error} testid="token-row-error" /></td></tr>`}`;
}

export function TokensPage() {
  const { t } = useI18n();
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [fresh, setFresh] = useState(null); // the just-created token, secret included
  const [notice, setNotice] = useState('');

  const load = async (fromCursor) => {
    setLoading(true);
    setError(null);
    try {
      const data = await api.get('/tokens', { limit: PAGE_SIZE, cursor: fromCursor || undefined });
      setItems((old) => (fromCursor ? old.concat(data.items) : data.items));
      setCursor(data.next_cursor || null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    load(null);
  }, []);

  const onCreated = (token) => {
    setNotice('');
    setFresh(token);
    load(null);
  };
  const onRevoked = (token) => {
    setNotice(t('tokens.revoked_notice', { name: token.name }));
    load(null);
  };

  return html`
    <section class="page" data-testid="tokens-page">
      <h1>${t('tokens.title')}</h1>
      <p class="muted">${t('tokens.intro')}</p>
      ${fresh
        ? html`<${SecretBox} token=${fresh} onDone=${() => setFresh(null)} />`
        : html`<${CreateTokenForm} onCreated=${onCreated} />`}
      <${Notice} text=${notice} testid="tokens-notice" />
      <div class="card">
        <h2>${t('tokens.list_title')}</h2>
        <${ErrorBox} error=${error} id="tokens-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="tokens-table">
            <thead>
              <tr>
                <th scope="col">${t('tokens.name')}</th>
                <th scope="col">${t('tokens.role')}</th>
                <th scope="col">${t('tokens.prefix')}</th>
                <th scope="col">${t('tokens.created')}</th>
                <th scope="col">${t('tokens.last_used')}</th>
                <th scope="col">${t('tokens.status')}</th>
                <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${items.map((token) => html`<${TokenRow} key=${token.id} token=${token} onRevoked=${onRevoked} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="7" class="empty">${t('tokens.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
        <${LoadMore} id="tokens-more" cursor=${cursor} loading=${loading} onClick=${() => load(cursor)} />
      </div>
    </section>`;
}
