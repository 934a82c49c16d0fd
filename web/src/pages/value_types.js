// Value types: built-in ones (renamable) and custom ones (create, edit, delete).
// Viewers read; operators and admins change. 409 answers say why (built in, in use, key taken).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n, valueTypeName } from '../i18n/index.js';
import {
  ConfirmButton, ErrorBox, FieldError, Notice, ReadOnlyNote, canChange, fieldErrors, loadAll,
  useScrollToError,
} from '../components.js';

export const UNITS = ['count', 'seconds', 'percent', 'number'];
export const COMBINES = ['sum', 'weighted'];
const FIELDS = ['key', 'name', 'unit', 'combine', 'weight_key'];

const resolveField = (field) => (FIELDS.includes(field) ? field : '');

function UnitOptions() {
  const { t } = useI18n();
  return UNITS.map((u) => html`<option value=${u}>${t(`value_types.unit.${u}`)}</option>`);
}

function CombineOptions() {
  const { t } = useI18n();
  return COMBINES.map((c) => html`<option value=${c}>${t(`value_types.combine.${c}`)}</option>`);
}

/** The summed value types a weighted one may be weighted by (never itself). */
function WeightOptions({ types, except }) {
  const { t } = useI18n();
  const summed = types.filter((v) => v.combine === 'sum' && v.key !== except);
  return html`
    <option value="">${t('value_types.choose_weight')}</option>
    ${summed.map((v) => html`<option value=${v.key}>${valueTypeName(t, v)} (${v.key})</option>`)}`;
}

function emptyType() {
  return { key: '', name: '', unit: 'number', combine: 'sum', weight_key: '' };
}

function CreateValueTypeForm({ types, onStart, onCreated }) {
  const { t } = useI18n();
  const [form, setForm] = useState(emptyType);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const fe = fieldErrors(error, (f) => (f === 'weight_key' && form.combine !== 'weighted'
    ? 'combine' : resolveField(f)), 'key');

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    onStart();
    const body = { key: form.key.trim(), name: form.name.trim(), unit: form.unit, combine: form.combine };
    if (form.combine === 'weighted') {
      body.weight_key = form.weight_key || null;
    }
    try {
      const created = await api.post('/value-types', body);
      setForm(emptyType());
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form class="card form-grid" id="vt-create-form" ref=${ref} onSubmit=${submit} novalidate>
      <h2>${t('value_types.create_title')}</h2>
      <div class="field">
        <label for="vt-create-key">${t('value_types.key')}</label>
        <input id="vt-create-key" type="text" autocomplete="off" autocapitalize="none"
               spellcheck="false" maxlength="64" class="mono" value=${form.key} onInput=${set('key')}
               aria-invalid=${fe.at('key') ? 'true' : undefined} />
        <small class="help">${t('value_types.key_help')}</small>
        <${FieldError} error=${fe.at('key')} id="vt-create-key-error" field="key" />
      </div>
      <div class="field">
        <label for="vt-create-name">${t('value_types.name')}</label>
        <input id="vt-create-name" type="text" autocomplete="off" maxlength="128" value=${form.name}
               onInput=${set('name')} aria-invalid=${fe.at('name') ? 'true' : undefined} />
        <${FieldError} error=${fe.at('name')} id="vt-create-name-error" field="name" />
      </div>
      <div class="field">
        <label for="vt-create-unit">${t('value_types.unit')}</label>
        <select id="vt-create-unit" value=${form.unit} onChange=${set('unit')}>
          <${UnitOptions} />
        </select>
        <${FieldError} error=${fe.at('unit')} id="vt-create-unit-error" field="unit" />
      </div>
      <div class="field">
        <label for="vt-create-combine">${t('value_types.combine')}</label>
        <select id="vt-create-combine" value=${form.combine} onChange=${set('combine')}>
          <${CombineOptions} />
        </select>
        <small class="help">${t('value_types.combine_help')}</small>
        <${FieldError} error=${fe.at('combine')} id="vt-create-combine-error" field="combine" />
      </div>
      ${form.combine === 'weighted' && html`
        <div class="field">
          <label for="vt-create-weight">${t('value_types.weight_key')}</label>
          <select id="vt-create-weight" value=${form.weight_key} onChange=${set('weight_key')}
                  aria-invalid=${fe.at('weight_key') ? 'true' : undefined}>
            <${WeightOptions} types=${types} except=${form.key.trim()} />
          </select>
          <small class="help">${t('value_types.weight_help')}</small>
          <${FieldError} error=${fe.at('weight_key')} id="vt-create-weight-error" field="weight_key" />
        </div>`}
      <${ErrorBox} error=${fe.rest} id="vt-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="vt-create-submit"
                disabled=${busy || !form.key.trim() || !form.name.trim()}>
          ${t('value_types.create_submit')}</button>
      </div>
    </form>`;
}

function combineText(t, type, types) {
  if (type.combine !== 'weighted') {
    return t('value_types.combine.sum');
  }
  const weight = types.find((v) => v.key === type.weight_key);
  return t('value_types.weighted_by', { name: weight ? valueTypeName(t, weight) : type.weight_key });
}

function ValueTypeRow({ type, types, editable, onChanged, onDeleted }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [errorTitle, setErrorTitle] = useState('');
  const [notice, setNotice] = useState('');
  const fe = fieldErrors(editing ? error : null, (f) => (
    f === 'weight_key' && editing && editing.combine !== 'weighted' ? 'combine' : resolveField(f)));

  const startEdit = () => {
    setEditing({ name: type.name, unit: type.unit, combine: type.combine,
      weight_key: type.weight_key || '' });
    setError(null);
    setNotice('');
  };
  const set = (key) => (e) => setEditing({ ...editing, [key]: e.currentTarget.value });

  const save = async () => {
    const body = {};
    if (editing.name.trim() !== type.name) {
      body.name = editing.name.trim();
    }
    if (!type.builtin) {
      if (editing.unit !== type.unit) {
        body.unit = editing.unit;
      }
      if (editing.combine !== type.combine) {
        body.combine = editing.combine;
      }
      const weight = editing.combine === 'weighted' ? editing.weight_key || null : null;
      if (weight !== (type.weight_key || null)) {
        body.weight_key = weight;
      }
    }
    if (Object.keys(body).length === 0) {
      setEditing(null);
      return;
    }
    setBusy(true);
    setError(null);
    setErrorTitle('');
    try {
      const updated = await api.patch(`/value-types/${type.id}`, body);
      onChanged(updated);
      setEditing(null);
      setNotice(t('value_types.saved_notice', { name: updated.name }));
    } catch (err) {
      setError(err);
      setErrorTitle(err.status === 409 ? t('value_types.change_refused') : '');
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      await api.del(`/value-types/${type.id}`);
      onDeleted(type);
    } catch (err) {
      setError(err);
      setErrorTitle(err.status === 409 ? t('value_types.delete_refused', { key: type.key }) : '');
      setBusy(false);
    }
  };

  const rowError = editing ? fe.rest : error;
  const showMessage = rowError || (!editing && notice);
  const columns = editable ? 6 : 5;

  let cells;
  if (editing) {
    cells = html`
      <td data-label=${t('value_types.name')}>
        <input type="text" class="input-small" maxlength="128" value=${editing.name}
               aria-label=${t('value_types.name')} data-testid="vt-edit-name"
               onInput=${set('name')} />
        <${FieldError} error=${fe.at('name')} id=${`vt-edit-name-error-${type.id}`} field="name" />
      </td>
      <td data-label=${t('value_types.unit')}>
        ${type.builtin
          ? t(`value_types.unit.${type.unit}`)
          : html`
            <select class="select-small" value=${editing.unit} aria-label=${t('value_types.unit')}
                    data-testid="vt-edit-unit" onChange=${set('unit')}><${UnitOptions} /></select>
            <${FieldError} error=${fe.at('unit')} id=${`vt-edit-unit-error-${type.id}`} field="unit" />`}
      </td>
      <td data-label=${t('value_types.combine')}>
        ${type.builtin
          ? combineText(t, type, types)
          : html`
            <div class="inline-fields">
              <select class="select-small" value=${editing.combine}
                      aria-label=${t('value_types.combine')} data-testid="vt-edit-combine"
                      onChange=${set('combine')}><${CombineOptions} /></select>
              ${editing.combine === 'weighted' && html`
                <select class="select-small" value=${editing.weight_key}
                        aria-label=${t('value_types.weight_key')} data-testid="vt-edit-weight"
                        onChange=${set('weight_key')}>
                  <${WeightOptions} types=${types} except=${type.key} />
                </select>`}
            </div>
            <${FieldError} error=${fe.at('combine') || fe.at('weight_key')}
                           id=${`vt-edit-combine-error-${type.id}`} field="combine" />`}
      </td>`;
  } else {
    cells = html`
      <td data-label=${t('value_types.name')} data-testid="vt-name">${valueTypeName(t, type)}</td>
      <td data-label=${t('value_types.unit')} data-testid="vt-unit">${t(`value_types.unit.${type.unit}`)}</td>
      <td data-label=${t('value_types.combine')} data-testid="vt-combine">${combineText(t, type, types)}</td>`;
  }

  return html`
    <tr data-testid="vt-row" data-key=${type.key} data-id=${type.id}
        data-builtin=${type.builtin ? 'true' : 'false'} class=${editing ? 'row-editing' : ''}>
      <td data-label=${t('value_types.key')}><code class="cell-name" data-testid="vt-key">${type.key}</code></td>
      ${cells}
      <td data-label=${t('value_types.kind')}>
        ${type.builtin
          ? html`<span class="tag tag-builtin" data-testid="vt-builtin">${t('value_types.builtin')}</span>`
          : html`<span class="tag" data-testid="vt-custom">${t('value_types.custom')}</span>`}
      </td>
      ${editable && html`
        <td class="cell-actions"><div class="row-actions">
          ${editing
            ? html`
              <button type="button" class="btn btn-small btn-primary" disabled=${busy}
                      data-testid="vt-save" onClick=${save}>${t('common.save')}</button>
              <button type="button" class="btn btn-small" disabled=${busy} data-testid="vt-cancel"
                      onClick=${() => { setEditing(null); setError(null); }}>${t('common.cancel')}</button>`
            : html`
              <button type="button" class="btn btn-small" disabled=${busy}
                      data-testid=${type.builtin ? 'vt-rename' : 'vt-edit'} onClick=${startEdit}>
                ${type.builtin ? t('value_types.rename') : t('common.edit')}</button>
              ${!type.builtin && html`
                <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                                  question=${t('value_types.delete_question', { name: type.key })}
                                  testid="vt-delete" onConfirm=${remove} />`}`}
        </div></td>`}
    </tr>
    ${showMessage && html`
      <tr class="row-message"><td colspan=${columns}>
        <${ErrorBox} error=${rowError} title=${errorTitle || undefined} testid="vt-row-error" />
        <${Notice} text=${!rowError && notice} testid="vt-row-notice" />
      </td></tr>`}`;
}

export function ValueTypesPage({ session }) {
  const { t } = useI18n();
  const editable = canChange(session);
  const [items, setItems] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      setItems(await loadAll('/value-types'));
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    load();
  }, []);

  const onCreated = (type) => {
    setNotice(t('value_types.created_notice', { name: type.key }));
    load();
  };
  const onChanged = (type) => setItems((old) => old.map((v) => (v.id === type.id ? type : v)));
  const onDeleted = (type) => {
    setItems((old) => old.filter((v) => v.id !== type.id));
    setNotice(t('value_types.deleted_notice', { name: type.key }));
  };
  const columns = editable ? 6 : 5;

  return html`
    <section class="page" data-testid="value-types-page">
      <h1>${t('value_types.title')}</h1>
      <p class="muted">${t('value_types.intro')}</p>
      ${editable
        ? html`<${CreateValueTypeForm} types=${items} onStart=${() => setNotice('')}
                                       onCreated=${onCreated} />`
        : html`<${ReadOnlyNote} />`}
      <${Notice} text=${notice} testid="value-types-notice" />
      <div class="card">
        <h2>${t('value_types.list_title')}</h2>
        <${ErrorBox} error=${error} id="value-types-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="value-types-table">
            <thead>
              <tr>
                <th scope="col">${t('value_types.key')}</th>
                <th scope="col">${t('value_types.name')}</th>
                <th scope="col">${t('value_types.unit')}</th>
                <th scope="col">${t('value_types.combine')}</th>
                <th scope="col">${t('value_types.kind')}</th>
                ${editable && html`
                  <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
              </tr>
            </thead>
            <tbody>
              ${items.map((type) => html`
                <${ValueTypeRow} key=${type.id} type=${type} types=${items} editable=${editable}
                                 onChanged=${onChanged} onDeleted=${onDeleted} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan=${columns} class="empty">${t('value_types.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
      </div>
    </section>`;
}
