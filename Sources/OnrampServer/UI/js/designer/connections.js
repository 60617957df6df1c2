// Connections of a tenant: list, create or edit one (connector -> its schema form), save (PUT, typed secrets
// stored as tenant secrets first), "Test connection" (check) and "Browse" (discover: streams and fields) of the form as
// it is, saved or not (its typed secrets go with the request and are not stored).
import { h, toast, errorBox, confirmDialog, formatTime } from '../ui.js';
import { schemaForm } from './schema-form.js';
import { originsOf, prune } from './schema-model.js';
import { loadCatalog, tenantPath, seg, fieldErrors, go } from './common.js';

export async function render(root, params, ctx) {
  const { api } = ctx;
  const tenant = params.tenant;
  const catalog = await loadCatalog(api);
  const list = h('section', { class: 'dz-panel dz-connection-list', 'aria-labelledby': 'dz-conn-title' });
  const editor = h('section', { class: 'dz-panel dz-connection-editor', 'aria-label': 'Connection' });
  root.append(h('div', { class: 'designer dz-connections' },
    h('h1', { id: 'dz-conn-title' }, `Connections of ${tenant}`), h('div', { class: 'dz-columns' }, list, editor)));

  async function refresh() {
    list.replaceChildren(h('p', {}, 'Loading…'));
    try {
      const answer = await api.get(tenantPath(tenant, '/connections'));
      const rows = (answer.connections || []).map((c) => h('tr', {},
        h('td', {}, h('a', { href: `#/t/${seg(tenant)}/connections/${seg(c.name)}` }, c.name)),
        h('td', {}, c.connector), h('td', {}, formatTime(c.updated_at))));
      list.replaceChildren(
        h('button', { type: 'button', class: 'btn primary', onclick: () => go(ctx, `#/t/${seg(tenant)}/connections/new`) },
          'New connection'),
        rows.length ? h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Connector'), h('th', {}, 'Updated'))),
          h('tbody', {}, ...rows)) : h('p', { class: 'dz-empty' }, 'No connections yet.'));
    } catch (e) {
      list.replaceChildren(errorBox(e));
    }
  }

  await refresh();
  if (params.name && params.name !== 'new') {
    try {
      const c = await api.get(tenantPath(tenant, `/connections/${seg(params.name)}`));
      editor.append(connectionEditor(ctx, catalog, tenant, c, refresh));
    } catch (e) {
      editor.append(errorBox(e));
    }
  } else {
    editor.append(connectionEditor(ctx, catalog, tenant, null, refresh, params.query?.get?.('connector')));
  }
}

/**
 * The editor of one connection (`existing` null for a new one). Also used by the onboarding wizard: `opts`
 * `{fixedConnector, onSaved(connection)}`.
 */
let editors = 0;

export function connectionEditor(ctx, catalog, tenant, existing, onSaved, preset, opts = {}) {
  const { api } = ctx;
  const uid = `dz-conn-${++editors}`;
  const connectors = [...catalog.sources, ...catalog.destinations];
  const nameInput = h('input', { type: 'text', id: `${uid}-name`, required: true, pattern: '[a-z0-9][a-z0-9\\-]{0,62}',
    value: existing?.name || opts.name || '', readOnly: !!existing, autocomplete: 'off' });
  const nameError = h('p', { class: 'sf-error', hidden: true, 'aria-live': 'polite' });
  const select = h('select', { id: `${uid}-connector`, onchange: () => renderForm(select.value, {}) },
    h('option', { value: '' }, '(choose a connector)'),
    ...connectors.map((c) => h('option', { value: c.name }, `${c.name} (${c.kind}): ${c.summary || ''}`)));
  const formHolder = h('div', { class: 'dz-form-holder' });
  const status = h('div', { class: 'dz-status', role: 'status', 'aria-live': 'polite' });
  const browse = h('div', { class: 'dz-browse' });
  let form = null;
  let saved = existing;

  function renderForm(connector, config) {
    formHolder.replaceChildren();
    browse.replaceChildren();
    if (!connector) { form = null; return; }
    const entry = connectors.find((c) => c.name === connector);
    form = schemaForm(entry?.config_schema || { type: 'object' }, config, {
      path: 'config', owner: () => nameInput.value || 'connection', secretNames: opts.secretNames,
    });
    if (entry?.summary) formHolder.append(h('p', { class: 'sf-help' }, entry.summary));
    formHolder.append(form.element);
  }

  function showError(e) {
    const errors = fieldErrors(e);
    nameError.hidden = true;
    const left = [];
    for (const er of errors) {
      if (er.field === 'name') { nameError.textContent = er.message; nameError.hidden = false; }
      else left.push(er);
    }
    const unplaced = form ? form.showErrors(left) : left;
    if (unplaced.length) status.replaceChildren(errorBox(e));
  }

  async function save() {
    status.replaceChildren();
    const name = nameInput.value.trim();
    if (!name) { nameError.textContent = 'A name is required'; nameError.hidden = false; return null; }
    if (!form) { status.replaceChildren(h('p', { class: 'sf-error' }, 'Choose a connector')); return null; }
    form.clearErrors();
    const connector = select.value;
    const config = prune(form.value());
    try {
      const schema = connectors.find((c) => c.name === connector)?.config_schema;
      for (const s of form.secrets()) {
        await api.put(tenantPath(tenant, `/secrets/${seg(s.name)}`), { value: s.value, origins: originsOf(schema, config) });
      }
      saved = await api.put(tenantPath(tenant, `/connections/${seg(name)}`), { connector, config });
      nameInput.readOnly = true;
      renderForm(connector, saved.config);
      status.replaceChildren(h('p', { class: 'dz-ok' }, `Saved connection ${name}.`));
      toast(`Connection ${name} saved`, 'success');
      await onSaved?.(saved);
      return saved;
    } catch (e) {
      showError(e);
      return null;
    }
  }

  /** The form as it is, saved or not: `{connector, config, secrets}` (typed secrets travel with the request only). */
  function unsaved() {
    if (!form) { status.replaceChildren(h('p', { class: 'sf-error' }, 'Choose a connector')); return null; }
    form.clearErrors();
    const connector = select.value;
    const config = prune(form.value());
    const schema = connectors.find((c) => c.name === connector)?.config_schema;
    const secrets = {};
    for (const s of form.secrets()) secrets[s.name] = { value: s.value, origins: originsOf(schema, config) };
    return { connector, config, secrets };
  }

  async function check() {
    const body = unsaved();
    if (!body) return;
    status.replaceChildren(h('p', {}, 'Testing the connection…'));
    try {
      const r = await api.post(tenantPath(tenant, '/check'), body);
      status.replaceChildren(h('p', { class: r.ok ? 'dz-ok' : 'sf-error', 'data-check': r.ok ? 'ok' : 'failed' },
        r.ok ? `Connection works: ${r.message || 'ok'}` : `Connection failed (${r.code}): ${r.message}`));
      if (!r.ok && r.field) form?.showErrors([{ field: r.field, message: r.message }]);
    } catch (e) {
      showError(e);
    }
  }

  async function discover() {
    const body = unsaved();
    if (!body) return;
    browse.replaceChildren(h('p', {}, 'Reading the streams…'));
    try {
      const r = await api.post(tenantPath(tenant, '/discover'), body);
      browse.replaceChildren(h('h3', {}, 'Streams'), ...(r.streams || []).map(streamView));
      if (!(r.streams || []).length) browse.append(h('p', { class: 'dz-empty' }, 'No streams.'));
    } catch (e) {
      browse.replaceChildren(errorBox(e));
    }
  }

  async function remove() {
    if (!saved || !(await confirmDialog(`Delete connection ${saved.name}? Pipelines naming it stop validating.`))) return;
    try {
      await api.del(tenantPath(tenant, `/connections/${seg(saved.name)}`));
      toast(`Connection ${saved.name} deleted`, 'success');
      go(ctx, `#/t/${seg(tenant)}/connections`);
    } catch (e) {
      showError(e);
    }
  }

  const connector = existing?.connector || opts.fixedConnector || preset || '';
  select.value = connector;
  if (opts.fixedConnector) select.disabled = true;
  renderForm(connector, existing?.config || opts.config || {});
  const isSource = () => catalog.sources.some((c) => c.name === select.value);
  const browseButton = h('button', { type: 'button', class: 'btn', onclick: discover }, 'Browse');
  const element = h('form', { class: 'dz-connection', onsubmit: (ev) => { ev.preventDefault(); save(); } },
    h('h2', {}, existing ? `Connection ${existing.name}` : 'New connection'),
    h('div', { class: 'sf-field' }, h('label', { for: `${uid}-name`, class: 'sf-label sf-required' }, 'Name'),
      nameInput, h('p', { class: 'sf-help' }, "Lower-case letters, digits and '-'."), nameError),
    h('div', { class: 'sf-field' }, h('label', { for: `${uid}-connector`, class: 'sf-label' }, 'Connector'), select),
    formHolder,
    h('div', { class: 'dz-actions' },
      h('button', { type: 'submit', class: 'btn primary' }, 'Save'),
      h('button', { type: 'button', class: 'btn', onclick: check }, 'Test connection'),
      browseButton,
      existing ? h('button', { type: 'button', class: 'btn danger', onclick: remove }, 'Delete') : ''),
    status, browse);
  select.addEventListener('change', () => { browseButton.hidden = !isSource(); });
  browseButton.hidden = !!select.value && !isSource();
  return Object.assign(element, { save, check, connectionName: () => saved?.name });
}

function streamView(stream) {
  const fields = (stream.fields || []).map((f) => h('tr', {},
    h('td', {}, f.name), h('td', {}, f.type || ''), h('td', {}, f.source_type || ''),
    h('td', {}, f.nullable ? 'yes' : 'no')));
  return h('details', { class: 'dz-stream', open: true },
    h('summary', {}, `${stream.name} (${stream.kind || 'stream'})`,
      [].concat(stream.primary_key ?? []).length ? ` key: ${[].concat(stream.primary_key).join(', ')}` : '',
      [].concat(stream.cursor_field ?? []).length ? ` cursor: ${[].concat(stream.cursor_field).join('.')}` : ''),
    h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Type'), h('th', {}, 'Source type'),
        h('th', {}, 'Nullable'))),
      h('tbody', {}, ...fields)));
}
