// Backup: download a backup archive of the whole appliance, how to restore it, recent backups.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Time } from '../components.js';

function sizeText(bytes) {
  if (typeof bytes !== 'number') {
    return '';
  }
  if (bytes >= 1024 * 1024) {
    return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  }
  return `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

export function BackupPage() {
  const { t } = useI18n();
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);

  const load = async () => {
    setLoading(true);
    try {
      const data = await api.get('/audit', { action: 'backup.create', limit: 10 });
      setItems(data.items);
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    load();
  }, []);

  return html`
    <section class="page" data-testid="backup-page">
      <h1>${t('backup.title')}</h1>
      <div class="card">
        <h2>${t('backup.download_title')}</h2>
        <p>${t('backup.intro')}</p>
        <p class="muted">${t('backup.keep_safe')}</p>
        <div class="actions">
          <a class="btn btn-primary" id="backup-download" href="/api/v1/backup" download
             onClick=${() => setTimeout(load, 3000)}>${t('backup.download')}</a>
        </div>
      </div>
      <div class="card">
        <h2>${t('backup.restore_title')}</h2>
        <p>${t('backup.restore_intro')}</p>
        <pre class="mono small" id="backup-restore-command">acdlink restore acdlink-backup.tar --data-dir /var/lib/acdlink</pre>
        <p class="muted">${t('backup.restore_notes')}</p>
      </div>
      <div class="card">
        <h2>${t('backup.recent_title')}</h2>
        <${ErrorBox} error=${error} id="backup-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="backup-table">
            <thead>
              <tr>
                <th scope="col">${t('backup.when')}</th>
                <th scope="col">${t('backup.by')}</th>
                <th scope="col">${t('backup.size')}</th>
                <th scope="col">${t('backup.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              ${items.map((entry) => html`
                <tr key=${entry.id} data-testid="backup-row">
                  <td data-label=${t('backup.when')}><${Time} value=${entry.ts} /></td>
                  <td data-label=${t('backup.by')}>${entry.actor}</td>
                  <td data-label=${t('backup.size')}>${sizeText(entry.detail && entry.detail.bytes)}</td>
                  <td data-label=${t('backup.outcome')}>
                    <span class=${`outcome outcome-${entry.outcome}`}>${t(`audit.outcome.${entry.outcome}`)}</span></td>
                </tr>`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="4" class="empty">${t('backup.none')}</td></tr>`}
            </tbody>
          </table>
        </div>
      </div>
    </section>`;
}
