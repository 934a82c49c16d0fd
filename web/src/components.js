// Small shared pieces: error display with Retry-After countdown, two-step confirm, time cells.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { useI18n } from './i18n/index.js';

/**
 * Shows an ApiError (or any {code, message, hint}) next to the form it belongs to:
 * a translated title for known codes, then the server's message and hint verbatim.
 */
export function ErrorBox({ error, id, testid }) {
  const { t } = useI18n();
  const [left, setLeft] = useState(error && error.retryAfter);

  useEffect(() => {
    setLeft(error && error.retryAfter);
    if (!error || !error.retryAfter) {
      return undefined;
    }
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, error.retryAfter - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) {
        clearInterval(timer);
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [error]);

  if (!error) {
    return null;
  }
  const codeKey = error.code ? `error.${error.code}` : '';
  const known = codeKey && t(codeKey) !== codeKey;
  let title;
  if (known) {
    title = t(codeKey);
  } else if (error.status) {
    title = t('error.generic', { status: error.status });
  } else {
    title = '';
  }
  const message = error.message && error.message !== title ? error.message : '';

  return html`
    <div class="error-box" role="alert" id=${id} data-testid=${testid || 'error'}
         data-code=${error.code || ''}>
      ${title && html`<strong class="error-title">${title}</strong>`}
      ${message && html`<span class="error-message">${message}</span>`}
      ${error.hint && html`<span class="error-hint">${t('error.hint')} ${error.hint}</span>`}
      ${error.retryAfter !== undefined && html`
        <span class="error-wait" data-testid="retry-after">
          ${left > 0 ? t('error.retry_in', { seconds: left }) : t('error.retry_now')}
        </span>`}
    </div>`;
}

/** A short success line, e.g. after creating a user. */
export function Notice({ text, testid }) {
  if (!text) {
    return null;
  }
  return html`<div class="notice" role="status" data-testid=${testid || 'notice'}>${text}</div>`;
}

/** A button that asks once more ("Really?") before it acts. */
export function ConfirmButton({ label, question, onConfirm, disabled, testid, danger = true }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`
      <button type="button" class=${danger ? 'btn btn-small btn-danger' : 'btn btn-small'}
              disabled=${disabled} data-testid=${testid}
              onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`
    <span class="confirm" data-testid=${`${testid}-question`}>
      <span class="confirm-text">${question}</span>
      <button type="button" class="btn btn-small btn-danger" data-testid=${`${testid}-confirm`}
              onClick=${() => { setAsking(false); onConfirm(); }}>${t('common.yes')}</button>
      <button type="button" class="btn btn-small" data-testid=${`${testid}-cancel`}
              onClick=${() => setAsking(false)}>${t('common.no')}</button>
    </span>`;
}

/** A timestamp in the reader's language and time zone; the exact UTC value is in the tooltip. */
export function Time({ value }) {
  const { lang, t } = useI18n();
  if (!value) {
    return html`<span class="muted">${t('common.never')}</span>`;
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return html`<span>${value}</span>`;
  }
  const text = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' })
    .format(date);
  return html`<time datetime=${value} title=${value}>${text}</time>`;
}

export function RoleBadge({ role }) {
  const { t } = useI18n();
  return html`<span class=${`badge badge-${role}`} data-testid="role-badge">${t(`role.${role}`)}</span>`;
}

export const ROLES = ['admin', 'operator', 'viewer'];

export function RoleOptions() {
  const { t } = useI18n();
  return ROLES.map((role) => html`<option value=${role}>${t(`role.${role}`)}</option>`);
}

/** A "load more" button shown while the list has a next_cursor. */
export function LoadMore({ cursor, loading, onClick, id }) {
  const { t } = useI18n();
  if (!cursor) {
    return null;
  }
  return html`
    <div class="load-more">
      <button type="button" class="btn" id=${id} disabled=${loading} onClick=${onClick}>
        ${loading ? t('common.loading') : t('common.load_more')}
      </button>
    </div>`;
}
