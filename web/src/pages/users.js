// Users: paged list, create, change role, reset password, enable/disable, delete.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ConfirmButton, ErrorBox, LoadMore, Notice, RoleOptions, Time } from '../components.js';

const PAGE_SIZE = 50;

function CreateUserForm({ onStart, onCreated }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    onStart();
    try {
      const user = await api.post('/users', { name: name.trim(), role, password });
      setName('');
      setPassword('');
      setRole('viewer');
      onCreated(user);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form class="card form-grid" id="user-create-form" onSubmit=${submit} novalidate>
      <h2>${t('users.create_title')}</h2>
      <div class="field">
        <label for="user-create-name">${t('users.name')}</label>
        <input id="user-create-name" type="text" autocomplete="off" autocapitalize="none"
               spellcheck="false" maxlength="64" value=${name}
               onInput=${(e) => setName(e.currentTarget.value)} />
        <small class="help">${t('users.name_help')}</small>
      </div>
      <div class="field">
        <label for="user-create-role">${t('users.role')}</label>
        <select id="user-create-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
          <${RoleOptions} />
        </select>
      </div>
      <div class="field">
        <label for="user-create-password">${t('users.password')}</label>
        <input id="user-create-password" type="password" autocomplete="new-password"
               value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
        <small class="help">${t('users.password_help')}</small>
      </div>
      <${ErrorBox} error=${error} id="user-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="user-create-submit"
                disabled=${busy || !name.trim() || !password}>${t('users.create_submit')}</button>
      </div>
    </form>`;
}

function PasswordReset({ user, onSave, onCancel }) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const submit = (event) => {
    event.preventDefault();
    onSave(password);
  };
  return html`
    <form class="inline-form" onSubmit=${submit} data-testid="user-password-form" novalidate>
      <label class="visually-hidden" for=${`user-password-${user.id}`}>
        ${t('users.new_password_for', { name: user.name })}</label>
      <input id=${`user-password-${user.id}`} type="password" autocomplete="new-password"
             placeholder=${t('users.new_password')} value=${password}
             data-testid="user-password-input"
             onInput=${(e) => setPassword(e.currentTarget.value)} />
      <button type="submit" class="btn btn-small btn-primary" disabled=${!password}
              data-testid="user-password-save">${t('common.save')}</button>
      <button type="button" class="btn btn-small" onClick=${onCancel}
              data-testid="user-password-cancel">${t('common.cancel')}</button>
    </form>`;
}

function UserRow({ user, self, onChanged, onDeleted }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const [resetting, setResetting] = useState(false);
  const [newRole, setNewRole] = useState(''); // chosen in the select, waiting for confirmation

  const patch = async (body, doneText) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const updated = await api.patch(`/users/${user.id}`, body);
      onChanged(updated);
      setNotice(doneText);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      await api.del(`/users/${user.id}`);
      onDeleted(user);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const savePassword = async (password) => {
    if (await patch({ password }, t('users.password_changed', { name: user.name }))) {
      setResetting(false);
    }
  };

  return html`
    <tr data-testid="user-row" data-name=${user.name} data-id=${user.id}
        class=${user.disabled ? 'row-disabled' : ''}>
      <td data-label=${t('users.name')}>
        <span class="cell-name" data-testid="user-name">${user.name}</span>
        ${self && html` <span class="tag">${t('users.you')}</span>`}
      </td>
      <td data-label=${t('users.role')}>
        <select class="select-small" value=${newRole || user.role} disabled=${busy || Boolean(newRole)}
                aria-label=${t('users.role_of', { name: user.name })}
                data-testid="user-role-select"
                onChange=${(e) => {
                  const role = e.currentTarget.value;
                  setNotice('');
                  setNewRole(role === user.role ? '' : role);
                }}>
          <${RoleOptions} />
        </select>
        ${newRole && html`
          <div class="confirm" role="alertdialog" aria-label=${t('users.role_change_confirm')}
               data-testid="user-role-question">
            <span class="confirm-text">${t('users.role_change_question', {
              name: user.name, old: t(`role.${user.role}`), new: t(`role.${newRole}`) })}</span>
            <button type="button" class="btn btn-small btn-primary" data-testid="user-role-confirm"
                    onClick=${async () => {
                      const role = newRole;
                      setNewRole('');
                      await patch({ role }, t('users.role_changed', { name: user.name }));
                    }}>${t('users.role_change_confirm')}</button>
            <button type="button" class="btn btn-small" data-testid="user-role-cancel"
                    onClick=${() => setNewRole('')}>${t('common.cancel')}</button>
          </div>`}
      </td>
      <td data-label=${t('users.status')}>
        <span class=${user.disabled ? 'status status-off' : 'status status-on'}
              data-testid="user-status">
          ${user.disabled ? t('users.disabled') : t('users.enabled')}</span>
      </td>
      <td data-label=${t('users.created')}><${Time} value=${user.created_at} /></td>
      <td data-label=${t('users.last_login')}><${Time} value=${user.last_login_at} /></td>
      <td class="cell-actions"><div class="row-actions">
        ${resetting
          ? html`<${PasswordReset} user=${user} onSave=${savePassword}
                                   onCancel=${() => setResetting(false)} />`
          : html`
            <button type="button" class="btn btn-small" disabled=${busy}
                    data-testid="user-reset-password"
                    onClick=${() => { setResetting(true); setNotice(''); }}>
              ${t('users.reset_password')}</button>
            <button type="button" class="btn btn-small" disabled=${busy} data-testid="user-toggle"
                    onClick=${() => patch({ disabled: !user.disabled },
                      user.disabled ? t('users.was_enabled', { name: user.name })
                        : t('users.was_disabled', { name: user.name }))}>
              ${user.disabled ? t('users.enable') : t('users.disable')}</button>
            <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                              question=${t('users.delete_question', { name: user.name })}
                              testid="user-delete" onConfirm=${remove} />`}
      </div></td>
    </tr>
    ${(error || notice) && html`
      <tr class="row-message" data-testid="user-row-message">
        <td colspan="6">
          <${ErrorBox} error=${error} testid="user-row-error" />
          <${Notice} text=${!error && notice} testid="user-row-notice" />
        </td>
      </tr>`}`;
}

export function UsersPage({ session }) {
  const { t } = useI18n();
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const load = async (fromCursor) => {
    setLoading(true);
    setError(null);
    try {
      const data = await api.get('/users', { limit: PAGE_SIZE, cursor: fromCursor || undefined });
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

  const onCreated = (user) => {
    setNotice(t('users.created_notice', { name: user.name }));
    load(null);
  };
  const onChanged = (user) => setItems((old) => old.map((u) => (u.id === user.id ? user : u)));
  const onDeleted = (user) => {
    setItems((old) => old.filter((u) => u.id !== user.id));
    setNotice(t('users.deleted_notice', { name: user.name }));
  };

  return html`
    <section class="page" data-testid="users-page">
      <h1>${t('users.title')}</h1>
      <${CreateUserForm} onStart=${() => setNotice('')} onCreated=${onCreated} />
      <${Notice} text=${notice} testid="users-notice" />
      <div class="card">
        <h2>${t('users.list_title')}</h2>
        <${ErrorBox} error=${error} id="users-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="users-table">
            <thead>
              <tr>
                <th scope="col">${t('users.name')}</th>
                <th scope="col">${t('users.role')}</th>
                <th scope="col">${t('users.status')}</th>
                <th scope="col">${t('users.created')}</th>
                <th scope="col">${t('users.last_login')}</th>
                <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${items.map((user) => html`
                <${UserRow} key=${user.id} user=${user} self=${user.id === session.user.id}
                            onChanged=${onChanged} onDeleted=${onDeleted} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="6" class="empty">${t('users.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
        <${LoadMore} id="users-more" cursor=${cursor} loading=${loading} onClick=${() => load(cursor)} />
      </div>
    </section>`;
}
