// Sign-in form: POST /auth/login, shows invalid credentials and the throttle wait.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Notice } from '../components.js';

export function LoginPage({ onLogin, notice }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const data = await api.post('/auth/login', { username, password }, { skipAuthRedirect: true });
      setPassword('');
      onLogin(data);
    } catch (err) {
      setPassword('');
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="login" data-testid="login-page">
      <form class="card login-card" id="login-form" onSubmit=${submit} novalidate>
        <h1>${t('login.title')}</h1>
        <p class="muted">${t('login.intro')}</p>
        ${!error && html`<${Notice} text=${notice} testid="login-notice" />`}
        <div class="field">
          <label for="login-username">${t('login.username')}</label>
          <input id="login-username" name="username" type="text" autocomplete="username"
                 autocapitalize="none" spellcheck="false" required value=${username}
                 onInput=${(e) => setUsername(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="login-password">${t('login.password')}</label>
          <input id="login-password" name="password" type="password"
                 autocomplete="current-password" required value=${password}
                 onInput=${(e) => setPassword(e.currentTarget.value)} />
        </div>
        <${ErrorBox} error=${error} id="login-error" />
        <div class="actions">
          <button type="submit" class="btn btn-primary" id="login-submit"
                  disabled=${busy || !username || !password}>
            ${busy ? t('login.signing_in') : t('login.submit')}
          </button>
        </div>
      </form>
    </section>`;
}
