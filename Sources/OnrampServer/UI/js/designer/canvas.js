// The pipeline canvas: palette -> chain -> inspector, and a Source tab with the document as JSON. The document is
// the model: every edit (drag, form, JSON) changes it and the other views follow. Save posts it as a new version;
// /validate problems are shown at their nodes; Preview and Dry run show the records at each node.
import { h, toast, errorBox } from '../ui.js';
import { loadCatalog, tenantPath, seg, go, debounce } from './common.js';
import { palette } from './palette.js';
import { chain } from './chain.js';
import { inspector, problemList } from './inspector.js';
import { saveAsTemplate } from './template-dialog.js';
import {
  blankDocument, nodesOf, nodeIdForField, addStep, removeStep, moveStep, setSide, setSideConnection, removeSide,
  withNodeConfig, withIncremental, parseDocument, previewKey, fieldPathOf,
} from './pipeline-model.js';

export async function render(root, params, ctx) {
  const { api } = ctx;
  const tenant = params.tenant;
  const catalog = await loadCatalog(api);
  const connections = await api.get(tenantPath(tenant, '/connections')).then((r) => r.connections || [], () => []);
  const state = { doc: null, saved: null, selected: 'source', problems: new Map(), preview: null, stale: false,
    picked: 0, secrets: new Map(), tab: 'canvas' };
  const version = params.query?.get?.('version');
  if (params.pipeline) {
    const path = `/pipelines/${seg(params.pipeline)}${version ? `/versions/${seg(version)}` : ''}`;
    state.saved = await api.get(tenantPath(tenant, path));
    state.doc = state.saved.document;
  } else {
    state.doc = blankDocument(params.query?.get?.('name') || 'new-pipeline');
  }

  const nameInput = h('input', { type: 'text', id: 'dz-pipeline-name', value: state.doc.name || '', autocomplete: 'off' });
  const status = h('div', { class: 'dz-status', role: 'status', 'aria-live': 'polite' });
  const globalProblems = h('div', { class: 'dz-global-problems' });
  const chainHolder = h('div', { class: 'dz-chain-holder', 'aria-label': 'Canvas' });
  const inspectorHolder = h('div', { class: 'dz-inspector-holder' });
  const sourceText = h('textarea', { id: 'dz-source-text', class: 'dz-source-text', spellcheck: false, rows: 30 });
  const sourceError = h('p', { class: 'sf-error', hidden: true, 'aria-live': 'polite' });
  let current = null;

  const tabButton = (id, label) => h('button', { type: 'button', role: 'tab', id: `dz-tab-${id}`,
    'aria-controls': `dz-panel-${id}`, 'aria-selected': String(state.tab === id), onclick: () => showTab(id) }, label);
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Views' },
    tabButton('canvas', 'Canvas'), tabButton('source', 'Source'));
  const canvasPanel = h('div', { id: 'dz-panel-canvas', role: 'tabpanel', 'aria-labelledby': 'dz-tab-canvas',
    class: 'dz-canvas' }, palette(catalog, addItem, connections), chainHolder, inspectorHolder);
  const sourcePanel = h('div', { id: 'dz-panel-source', role: 'tabpanel', 'aria-labelledby': 'dz-tab-source',
    hidden: true },
    h('label', { for: 'dz-source-text', class: 'sf-label' }, 'The pipeline document (JSON)'), sourceText, sourceError);

  const button = (label, onclick, cls = 'btn') => h('button', { type: 'button', class: cls, onclick }, label);
  root.append(h('div', { class: 'designer dz-designer' },
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, state.saved ? `Designing ${state.saved.name} (version ${state.saved.version})`
        : 'New pipeline'),
      h('div', { class: 'dz-actions' },
        button('Validate', () => validate(true)), button('Preview', () => preview(null)),
        button('Dry run', () => preview('sandbox')), button('Save as template', () => saveAsTemplate(api, state.doc)),
        button('Save', save, 'btn primary'),
        state.saved ? h('a', { class: 'btn', href: `#/t/${seg(tenant)}/pipelines/${seg(state.saved.id)}/versions` },
          'Versions') : '')),
    h('div', { class: 'sf-field dz-name' }, h('label', { for: 'dz-pipeline-name', class: 'sf-label' }, 'Pipeline name'),
      nameInput),
    status, globalProblems, tabs, canvasPanel, sourcePanel));

  function showTab(id) {
    state.tab = id;
    for (const b of tabs.querySelectorAll('[role=tab]')) b.setAttribute('aria-selected', String(b.id === `dz-tab-${id}`));
    canvasPanel.hidden = id !== 'canvas';
    sourcePanel.hidden = id !== 'source';
    if (id === 'source') sourceText.value = JSON.stringify(state.doc, null, 2);
    else { renderChain(); renderInspector(); }
  }

  function node(id) {
    return nodesOf(state.doc).find((n) => n.id === id) || nodesOf(state.doc)[0];
  }

  function counts() {
    const out = new Map();
    if (!state.preview) return out;
    out.set('source', (state.preview.source || []).length);
    (state.doc.steps || []).forEach((_, i) => {
      const key = previewKey(state.doc, i);
      out.set(`steps[${i}]`, (state.preview[key] || []).length);
      if (state.preview[`${key} routed`]) out.set(`steps[${i}] routed`, state.preview[`${key} routed`].length);
    });
    return out;
  }

  function renderChain() {
    chainHolder.replaceChildren(chain(state.doc, { selected: state.selected, problems: state.problems, counts: counts() }, {
      select: (id) => { state.selected = id; state.picked = 0; renderChain(); renderInspector(); },
      drop: (item, slot) => addItem(item, slot),
      move: (from, to) => {
        if (to < 0 || to >= (state.doc.steps || []).length) return;
        state.selected = `steps[${to}]`;
        setDoc(moveStep(state.doc, from, to));
      },
      remove: (i) => { state.selected = 'source'; setDoc(removeStep(state.doc, i)); },
      removeSide: (kind) => setDoc(removeSide(state.doc, kind)),
    }));
  }

  function renderInspector() {
    const n = node(state.selected);
    state.selected = n.id;
    current = inspector({
      api, catalog, tenant, doc: state.doc, node: n, problems: state.problems.get(n.id) || [], preview: state.preview,
      stale: state.stale, picked: state.picked,
      onChange: (config, name) => formChanged(n, config, name),
      onIncremental: (value) => setDoc(withIncremental(state.doc, value), 'form'),
      onSecrets: (list, nodeId) => { state.secrets.set(nodeId, list); },
      onPick: (i) => { state.picked = i; renderInspector(); },
    });
    inspectorHolder.replaceChildren(current.element);
  }

  // Applied at once (a debounce shared by nodes would drop one node's edit when another's follows quickly).
  function formChanged(n, config, name) {
    let next = state.doc;
    if (config !== undefined) next = withNodeConfig(next, n, config, name);
    else if (n.kind === 'step') next = withNodeConfig(next, n, next.steps[n.index][n.type], name);
    setDoc(next, 'form');
  }

  /** Replaces the document; `origin` (`form`, `source`) is the view that made the edit and is not rebuilt. */
  function setDoc(next, origin) {
    state.doc = next;
    state.dirty = true;
    if (state.preview) state.stale = true;
    if (origin !== 'name') nameInput.value = next.name || '';
    if (origin !== 'source' && state.tab === 'source') sourceText.value = JSON.stringify(next, null, 2);
    if (state.tab === 'canvas') {
      renderChain();
      if (origin !== 'form') renderInspector();
    }
    validateSoon();
  }

  function addItem(item, slot) {
    const schema = catalog.schema(item.kind, item.name);
    if (item.kind === 'step') {
      const sel = /^steps\[(\d+)\]$/.exec(state.selected);
      const at = slot ?? (sel ? Number(sel[1]) + 1 : (state.doc.steps || []).length);
      state.selected = `steps[${at}]`;
      setDoc(addStep(state.doc, item.name, schema, at));
    } else if (item.connection) {
      state.selected = item.kind;
      setDoc(setSideConnection(state.doc, item.kind, item.name));
    } else {
      const keep = state.doc[item.kind]?.connector === item.name ? state.doc[item.kind].config : {};
      state.selected = item.kind;
      setDoc(setSide(state.doc, item.kind, item.name, keep));
    }
    status.replaceChildren(h('p', {}, `Added ${item.kind} ${item.name}.`));
  }

  nameInput.addEventListener('input', () => setDoc({ ...state.doc, name: nameInput.value.trim() }, 'name'));
  sourceText.addEventListener('input', debounce(() => {
    const parsed = parseDocument(sourceText.value);
    sourceError.hidden = !parsed.error;
    sourceError.textContent = parsed.error ? `Not valid JSON: ${parsed.error}` : '';
    if (parsed.doc) setDoc(parsed.doc, 'source');
  }, 400));

  let validation = 0;
  async function validate(announce) {
    const mine = ++validation;
    try {
      const r = await api.post('/validate', state.doc);
      if (mine !== validation) return r;
      state.problems = new Map();
      for (const p of r.problems || []) {
        const id = nodeIdForField(p.field);
        if (!state.problems.has(id)) state.problems.set(id, []);
        state.problems.get(id).push(p);
      }
      const global = state.problems.get('pipeline') || [];
      globalProblems.replaceChildren(...(global.length ? [problemList(global)] : []));
      if (state.tab === 'canvas') {
        renderChain();
        current?.showProblems(state.problems.get(state.selected) || []);
      }
      if (announce) {
        status.replaceChildren(h('p', { class: r.valid ? 'dz-ok' : 'sf-error' }, r.valid
          ? `Valid${(r.problems || []).length ? ` (${r.problems.length} warnings)` : ''}.`
          : `Not valid: ${(r.problems || []).filter((p) => p.severity === 'error').length} problems.`));
      }
      return r;
    } catch (e) {
      status.replaceChildren(errorBox(e));
      return null;
    }
  }
  const validateSoon = debounce(() => validate(false), 700);

  /** The typed secrets the document still references, by name; two fields typed under one name are refused. */
  function typedSecrets() {
    const text = JSON.stringify(state.doc);
    const byName = new Map();
    for (const s of [...state.secrets.values()].flat()) {
      if (!text.includes(`\${secret:${s.name}}`)) continue;
      const other = byName.get(s.name);
      if (other && other.value !== s.value) {
        throw Object.assign(new Error(`two fields would store different values as secret ${s.name}; type one of them`
          + ' as a ${secret:NAME} of its own'), { code: 'secret.collision' });
      }
      byName.set(s.name, s);
    }
    return byName;
  }

  /** Stores the typed secrets on save (only then: a preview sends them with its request and stores nothing). */
  async function storeSecrets() {
    for (const [name, s] of typedSecrets()) {
      await api.put(tenantPath(tenant, `/secrets/${seg(name)}`), { value: s.value, origins: s.origins });
    }
    state.secrets.clear();
  }

  async function preview(dryRun) {
    status.replaceChildren(h('p', {}, dryRun ? 'Dry run to the sandbox…' : 'Running a preview…'));
    try {
      const body = { document: state.doc, limit: 20 };
      const typed = typedSecrets();
      if (typed.size) body.secrets = Object.fromEntries([...typed].map(([n, s]) => [n, { value: s.value, origins: s.origins }]));
      if (dryRun) body.dry_run = dryRun;
      state.preview = await api.post(tenantPath(tenant, '/preview'), body);
      state.stale = false;
      state.picked = 0;
      const answers = state.preview.dry_run?.answers || [];
      status.replaceChildren(h('p', { class: 'dz-ok', 'data-preview': 'done' }, dryRun
        ? `Dry run: ${answers.filter((a) => !a.error).length} calculated, ${answers.filter((a) => a.error).length} refused.`
        : `Preview: ${(state.preview.source || []).length} source records, `
          + `${(state.preview.errors || []).length} errors.`));
      if (dryRun) state.selected = 'destination';
      showTab('canvas');
    } catch (e) {
      status.replaceChildren(errorBox(e));
      markError(e);
    }
  }

  function markError(e) {
    if (!e?.field) return;
    const id = nodeIdForField(e.field);
    state.problems.set(id, [{ severity: 'error', code: e.code, message: e.message, field: fieldPathOf(e.field) }]);
    renderChain();
    if (state.selected === id) current?.showProblems(state.problems.get(id));
  }

  async function save() {
    status.replaceChildren(h('p', {}, 'Saving…'));
    try {
      await storeSecrets();
      const saved = await api.post(tenantPath(tenant, '/pipelines'), state.doc);
      state.dirty = false;
      toast(`Saved ${saved.name} version ${saved.version}`, 'success');
      status.replaceChildren(h('p', { class: 'dz-ok', 'data-saved': String(saved.version) },
        `Saved ${saved.name} as version ${saved.version}.`));
      if (!state.saved || state.saved.id !== saved.id) go(ctx, `/t/${seg(tenant)}/pipelines/${seg(saved.id)}/design`);
      state.saved = saved;
    } catch (e) {
      status.replaceChildren(errorBox(e));
      markError(e);
    }
  }

  renderChain();
  renderInspector();
  validateSoon();
  ctx.guardLeave?.(() => (state.dirty ? 'This pipeline has unsaved changes. Leave the page anyway?' : null));
  return () => validateSoon.cancel();
}
