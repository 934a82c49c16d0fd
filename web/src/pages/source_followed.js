// Sources: what the panels of followed sources share (a followed file, an incremental query, a
// live-status table): the source as the daemon answers it now, refreshed every 3 s while the
// panel is open (its "follow" status), and saving one member of its settings (the rest is sent
// back as the daemon answered it, since settings are replaced as a whole).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';

const REFRESH_MS = 3000;

/** The panel's state for settings[member] of source: formOf(source) gives the form's fields,
 * noticeOf(value) the notice after value was saved (null or undefined: following stopped).
 * save(value, extra) sends settings[member] = value with the other fields of extra (such as
 * enabled); with value undefined, only extra (the settings stay as they are). */
export function useFollowedSource(source, member, formOf, onChanged, noticeOf) {
  const [current, setCurrent] = useState(source);
  const [form, setForm] = useState(formOf(source));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const s = await api.get(`/sources/${source.id}`);
        if (!stop) {
          setCurrent(s);
        }
      } catch (err) {
        if (!stop) {
          setError(err);
        }
      }
    };
    load();
    const id = setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS);
    return () => { stop = true; clearInterval(id); };
  }, [source.id]);

  const save = async (value, extra = {}) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const body = value === undefined ? { ...extra }
        : { settings: { ...current.settings, [member]: value }, ...extra };
      const updated = await api.patch(`/sources/${source.id}`, body);
      setCurrent({ ...updated, follow: current.follow });
      setForm(formOf(updated));
      onChanged(updated);
      setNotice(noticeOf(value));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { current, form, setForm, busy, error, notice, save };
}
