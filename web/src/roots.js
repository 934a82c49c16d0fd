// roots.js: the folders sources and csv-export targets may use (GET /api/v1/roots), shown
// under the folder fields. The roots are set on the machine, never here, so the hint only
// tells; the server checks.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useI18n } from './i18n/index.js';

let pending = null;

function loadRoots() {
  if (!pending) {
    pending = api.get('/roots').catch(() => {
      pending = null;
      return null;
    });
  }
  return pending;
}

/** "Allowed: inside /srv/acd (import_roots, set on the machine)"; kind: import or export. */
export function RootsHint({ kind }) {
  const { t } = useI18n();
  const [roots, setRoots] = useState(null);
  useEffect(() => {
    let live = true;
    loadRoots().then((r) => {
      if (live && r) {
        setRoots(r[kind] || []);
      }
    });
    return () => {
      live = false;
    };
  }, [kind]);
  if (!roots) {
    return null;
  }
  return html`<span class="roots-hint" data-testid=${`roots-hint-${kind}`}>
    ${' '}${roots.length
      ? t('roots.hint', { roots: roots.join(', '), setting: `${kind}_roots` })
      : t('roots.none', { setting: `${kind}_roots` })}</span>`;
}
