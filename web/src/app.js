// The console shell: session state, hash routing, language, header and navigation.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { I18n, initialLanguage, languages, storeLanguage, translator, useI18n } from './i18n/index.js';
import { RoleBadge } from './components.js';
import { LoginPage } from './pages/login.js';
import { UsersPage } from './pages/users.js';
import { TokensPage } from './pages/tokens.js';
import { AuditPage } from './pages/audit.js';
import { AccountPage } from './pages/account.js';
import { QueuesPage } from './pages/queues.js';
import { ValueTypesPage } from './pages/value_types.js';
import { SourcesPage } from './pages/sources.js';
import { RunsPage } from './pages/runs.js';
import { SchedulesPage } from './pages/schedules.js';
import { MappingsPage } from './pages/mappings.js';
import { ResultsPage } from './pages/results.js';
import { BackupPage } from './pages/backup.js';
import { TargetsPage } from './pages/targets.js';
import { BacklogBanner, DeliveriesPage } from './pages/deliveries.js';
import {HealthBanner} from './pages/health.js';
import { XlinkPage } from './pages/xlink.js';
import { ActivitiesPage } from './pages/activities.js';
import { AgentsPage } from './pages/agents.js';
import { LivePage } from './pages/live.js';
import { TimelinePage } from './pages/timeline.js';
import { HomePage } from './pages/home.js';
import { AlertsPage } from './pages/alerts.js';

// Route -> page. admin: only admins see it; everyone else's pages are read-only for viewers.
const PAGES = {
  home: { component: HomePage, admin: false, label: 'nav.home' },
  sources: { component: SourcesPage, admin: false, label: 'nav.sources' },
  runs: { component: RunsPage, admin: false, label: 'nav.runs' },
  schedules: { component: SchedulesPage, admin: false, label: 'nav.schedules' },
  queues: { component: QueuesPage, admin: false, label: 'nav.queues' },
  'value-types': { component: ValueTypesPage, admin: false, label: 'nav.value_types' },
  mappings: { component: MappingsPage, admin: false, label: 'nav.mappings' },
  results: { component: ResultsPage, admin: false, label: 'nav.results' },
  targets: { component: TargetsPage, admin: false, label: 'nav.targets' },
  deliveries: { component: DeliveriesPage, admin: false, label: 'nav.deliveries' },
  xlink: { component: XlinkPage, admin: false, label: 'nav.xlink' },
  activities: { component: ActivitiesPage, admin: false, label: 'nav.activities' },
  agents: { component: AgentsPage, admin: false, label: 'nav.agents' },
  live: { component: LivePage, admin: false, label: 'nav.live' },
  timeline: { component: TimelinePage, admin: false, label: 'nav.timeline' },
  users: { component: UsersPage, admin: true, label: 'nav.users' },
  tokens: { component: TokensPage, admin: true, label: 'nav.tokens' },
  audit: { component: AuditPage, admin: true, label: 'nav.audit' },
  backup: { component: BackupPage, admin: true, label: 'nav.backup' },
  alerts: { component: AlertsPage, admin: true, label: 'nav.alerts' },
  account: { component: AccountPage, admin: false, label: 'nav.account' },
};

/** The page of a route, or null (own properties only: "#/constructor" is no page). */
function pageOf(route) {
  return Object.prototype.hasOwnProperty.call(PAGES, route) ? PAGES[route] : null;
}

function currentRoute() {
  const match = /^#\/([a-z-]+)/.exec(window.location.hash);
  return match ? match[1] : '';
}

function go(route) {
  const hash = `#/${route}`;
  if (window.location.hash !== hash) {
    window.location.hash = hash;
  }
}

// every role lands on the home page: is the data flowing?
function defaultRoute() {
  return 'home';
}

function LanguageSelect() {
  const { lang, setLang, t } = useI18n();
  return html`
    <label class="lang">
      <span class="visually-hidden">${t('header.language')}</span>
      <select id="lang-select" data-testid="lang-select" value=${lang}
              aria-label=${t('header.language')}
              onChange=${(e) => setLang(e.currentTarget.value)}>
        ${languages.map((l) => html`<option value=${l.code}>${l.label}</option>`)}
      </select>
    </label>`;
}

function Header({ session, route, onLogout }) {
  const { t } = useI18n();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [route]);
  const user = session && session.user;
  const links = user
    ? Object.entries(PAGES).filter(([, page]) => !page.admin || user.role === 'admin')
    : [];
  return html`
    <header class=${user ? 'app-header signed-in' : 'app-header'}>
      <div class="brand"><span class="brand-name">acdlink</span>
        <span class="brand-sub">${t('app.subtitle')}</span></div>
      ${user && html`
        <button type="button" class="nav-toggle" id="nav-toggle" aria-controls="main-nav"
                aria-expanded=${menuOpen ? 'true' : 'false'}
                onClick=${() => setMenuOpen(!menuOpen)}>
          <span aria-hidden="true">☰</span> ${t('nav.menu')}</button>
        <nav class=${menuOpen ? 'nav nav-open' : 'nav'} id="main-nav" aria-label=${t('nav.label')}>
          ${links.map(([name, page]) => html`
            <a href=${`#/${name}`} id=${`nav-${name}`}
               class=${route === name ? 'nav-link active' : 'nav-link'}
               aria-current=${route === name ? 'page' : undefined}>${t(page.label)}</a>`)}
        </nav>`}
      <div class="header-right">
        ${user && html`
          <span class="whoami" data-testid="whoami">
            <span class="muted">${t('header.signed_in_as')}</span>
            <strong id="current-user">${user.name}</strong>
            <span id="current-role"><${RoleBadge} role=${user.role} /></span>
          </span>`}
        <${LanguageSelect} />
        ${user && html`
          <button type="button" class="btn" id="logout" onClick=${onLogout}>${t('header.logout')}</button>`}
      </div>
    </header>`;
}

/** The footer of every signed-in page: version and the tz data that converts local times. */
function AppFooter() {
  const { t } = useI18n();
  const [h, setH] = useState(null);
  useEffect(() => {
    let live = true;
    api.get('/health', undefined, { skipAuthRedirect: true })
      .then((x) => { if (live) setH(x); })
      .catch(() => { if (live) setH(null); });
    return () => { live = false; };
  }, []);
  if (!h) {
    return null;
  }
  return html`
    <footer class="app-footer" data-testid="app-footer">
      <span>acdlink ${h.version}</span>
      <span data-testid="tzdata" title=${t(`footer.tzdata_${h.tzdata_source}`)}>
        ${t('footer.tzdata', { v: h.tzdata })}${h.tzdata_source === 'icu' ? ' (ICU)' : ''}</span>
    </footer>`;
}

export function App() {
  const [lang, setLangState] = useState(initialLanguage);
  const [session, setSession] = useState(undefined); // undefined: still asking the daemon
  const [route, setRoute] = useState(currentRoute);
  const [notice, setNotice] = useState('');
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const setLang = useCallback((code) => {
    storeLanguage(code);
    setLangState(code);
  }, []);
  const i18n = useMemo(() => ({ lang, setLang, t: translator(lang) }), [lang, setLang]);
  const t = i18n.t;

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `acdlink – ${t('app.subtitle')}`;
  }, [lang]);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Any 401 from an authenticated call means the session is gone: back to the login page.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      if (sessionRef.current) {
        setNotice('login.session_ended');
      }
      setSession(null);
      go('login');
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  useEffect(() => {
    api.get('/auth/session', undefined, { skipAuthRedirect: true })
      .then((data) => {
        setCsrfToken(data.csrf_token);
        setSession(data);
      })
      .catch(() => {
        setCsrfToken(null);
        setSession(null);
      });
  }, []);

  // Keep the URL in line with the session: signed out -> #/login, signed in -> a real page.
  useEffect(() => {
    if (session === undefined) {
      return;
    }
    if (!session) {
      if (route !== 'login') {
        go('login');
      }
    } else if (route === 'login' || !pageOf(route)
               || (pageOf(route).admin && session.user.role !== 'admin')) {
      go(defaultRoute());
    }
  }, [session, route]);

  const onLogin = (data) => {
    setCsrfToken(data.csrf_token);
    setNotice('');
    setSession({ user: data.user, auth: 'session', csrf_token: data.csrf_token,
      expires_at: data.expires_at });
    go(defaultRoute());
  };

  const onLogout = async () => {
    try {
      await api.post('/auth/logout', undefined, { skipAuthRedirect: true });
    } catch {
      // the session is dropped on our side whatever the daemon answered
    }
    setCsrfToken(null);
    setNotice('login.logged_out');
    setSession(null);
    go('login');
  };

  // A page saw the session end on purpose (e.g. after a password change): back to login.
  const onSessionEnded = (noticeKey) => {
    setCsrfToken(null);
    setNotice(noticeKey);
    setSession(null);
    go('login');
  };

  let body;
  if (session === undefined) {
    body = html`<p class="loading" data-testid="loading">${t('common.loading')}</p>`;
  } else if (!session) {
    body = html`<${LoginPage} onLogin=${onLogin} notice=${notice && t(notice)} />`;
  } else {
    const page = pageOf(route);
    const allowed = page && (!page.admin || session.user.role === 'admin');
    body = allowed
      ? html`<${page.component} session=${session} onSessionEnded=${onSessionEnded} />`
      : html`<p class="loading">${t('common.loading')}</p>`;
  }

  return html`
    <${I18n.Provider} value=${i18n}>
      <${Header} session=${session} route=${route} onLogout=${onLogout} />
      <main class="content" id="main">
        ${session && session.user && route !== 'home' && html`<${HealthBanner} route=${route} />`}
        ${session && session.user && route !== 'home' && html`<${BacklogBanner} route=${route} />`}
        ${body}
      </main>
      ${session && session.user && html`<${AppFooter} />`}
    </${I18n.Provider}>`;
}
