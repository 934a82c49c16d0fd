// The health banner: every page lists what the daemon's health check finds degraded (disk
// nearly full, database not writable, runs or targets failing, recomputes pending, deliveries
// waiting), each with the daemon's reason and a link to where it is dealt with.
import {useEffect, useState} from 'preact/hooks';
import {html} from '../html.js';
import {api} from '../api.js';
import {messageText, useI18n} from '../i18n/index.js';

const LINKS = {
    runs : '#/runs',
    targets : '#/deliveries',
    backlog : '#/deliveries',
    recomputes : '#/mappings',
    alerts : '#/alerts'
};

export function HealthBanner({route})
{
    const {t, lang} = useI18n();
    const [h, setH] = useState(null);
    useEffect(() => {
        let live = true;
        api.get('/health', undefined, {skipAuthRedirect : true})
            .then((x) => {
                if (live)
                    setH(x);
            })
            .catch((e) => {
                // 503: the database does not answer
                if (live)
                    setH(e && e.status === 503
                             ? {problems : [ {check : 'database', message : e.message} ]}
                             : null);
            });
        return () => { live = false; };
    }, [ route ]);
    if (!h || !Array.isArray(h.problems) || h.problems.length === 0) {
        return null;
    }
    return html`
    <div class="error-box banner health-banner" role="alert" data-testid="health-warning">
      <strong>${t('health.banner')}</strong>
      <ul>
        ${h.problems.map((p) => html`
          <li key=${p.check} data-testid=${`health-problem-${p.check}`}>
            <span class="health-check">${t(`health.check.${p.check}`)}</span>${lang === 'fr' ? '\u00A0:' : ':'} ${messageText(t, p, lang)}
            ${LINKS[p.check] && html` <a href=${LINKS[p.check]}>${t('health.open')}</a>`}
          </li>`)}
      </ul>
    </div>`;
}
