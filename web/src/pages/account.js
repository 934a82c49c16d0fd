// The signed-in user's own page: who am I, and change my password.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Notice, RoleBadge, Time } from '../components.js';

function PasswordForm({ onSessionEnded }) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone('');
    if (next !== confirm) {
      setError({ code: 'password_mismatch', message: '', hint: '' });
      return;
    }
    setBusy(true);
    try {
      await api.post('/auth/password', { current_password: current, new_password: next });
      // The daemon may end the user's sessions on a password change; if so, sign in again.
      try {
        await api.get('/auth/session', undefined, { skipAuthRedirect: true });
        setDone(t('account.password_changed'));
      } catch (err) {
        if (err.status === 401) {
          onSessionEnded('login.password_changed');
          return;
        }
        setDone(t('account.password_changed'));
      }
    } catch (err) {
      setError(err);
    } finally {
      setCurrent('');
      setNext('');
      setConfirm('');
      setBusy(false);
    }
  };

  return html`
    <form class="card form-narrow" id="password-form" onSubmit=${submit} novalidate>
      <h2>${t('account.password_title')}</h2>
      <div class="field">
        <label for="password-current">${t('account.current_password')}</label>
        <input id="password-current" type="password" autocomplete="current-password"
               value=${current} onInput=${(e) => setCurrent(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="password-new">${t('account.new_password')}</label>
        <input id="password-new" type="password" autocomplete="new-password"
               value=${next} onInput=${(e) => setNext(e.currentTarget.value)} />
        <small class="help">${t('users.password_help')}</small>
      </div>
      <div class="field">
        <label for="password-confirm">${t('account.confirm_password')}</label>
        <input id="password-confirm" type="password" autocomplete="new-password"
               value=${confirm} onInput=${(e) => setConfirm(e.currentTarget.value)} />
      </div>
      <${ErrorBox} error=${error} id="password-error" />
      <${Notice} text=${done} testid="password-notice" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="password-submit"
                disabled=${busy || !current || !next || !confirm}>${t('account.password_submit')}</button>
      </div>
    </form>`;
}

export function AccountPage({ session, onSessionEnded }) {
  const { t } = useI18n();
  const user = session.user;
  return html`
    <section class="page" data-testid="account-page">
      <h1>${t('account.title')}</h1>
      <div class="card">
        <dl class="facts">
          <dt>${t('users.name')}</dt><dd id="account-name">${user.name}</dd>
          <dt>${t('users.role')}</dt><dd><${RoleBadge} role=${user.role} /></dd>
          ${session.expires_at && html`
            <dt>${t('account.session_expires')}</dt><dd><${Time} value=${session.expires_at} /></dd>`}
        </dl>
      </div>
      ${session.auth !== 'token' && html`<${PasswordForm} onSessionEnded=${onSessionEnded} />`}
    </section>`;
}
