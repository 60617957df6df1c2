// The inspector of the selected node: its form (from the step's or connector's schema), its validation problems at
// their fields, and from the last preview the records entering and leaving it with its errors.
import { h } from '../ui.js';
import { schemaForm } from './schema-form.js';
import { jsonataEditor } from './jsonata-editor.js';
import { recordsView, errorsView, dryRunView } from './preview-view.js';
import { configPath, nodeConfig, recordsAt } from './pipeline-model.js';
import { originsOf, prune } from './schema-model.js';
import { seg } from './common.js';

/**
 * Builds the inspector. `env`: `{api, catalog, tenant, doc, node, problems, preview, stale, picked,
 * onChange(config, name), onIncremental(value), onSecrets(list, nodeId): the node's typed secrets, replacing its earlier ones, onPick(index)}`.
 * Returns `{element, refreshSample(), showProblems(list)}`.
 */
export function inspector(env) {
  const { node, doc, catalog } = env;
  const editors = [];
  const flow = env.preview ? recordsAt(doc, env.preview, node) : null;
  const sample = () => (flow ? (flow.entering.length ? flow.entering : flow.leaving)[env.picked ?? 0] : undefined);
  const parts = [h('h2', { id: 'dz-inspector-title' }, heading(node))];
  if (node.empty) {
    parts.push(h('p', { class: 'empty' }, `Drag a ${node.kind} from the palette here, or use its Add button.`));
    return { element: wrap(parts), refreshSample() {}, showProblems() {} };
  }
  const kind = node.kind === 'step' ? 'step' : node.kind;
  const entry = catalog.byKey.get(`${kind}:${node.kind === 'step' ? node.type : node.connector}`);
  if (entry?.summary) parts.push(h('p', { class: 'sf-help' }, entry.summary));
  let nameInput = null;
  if (node.kind === 'step') {
    nameInput = h('input', { type: 'text', id: 'dz-step-name', value: node.name || '', autocomplete: 'off',
      placeholder: node.path });
    parts.push(h('div', { class: 'sf-field' }, h('label', { for: 'dz-step-name', class: 'sf-label' }, 'Step name'),
      nameInput, h('p', { class: 'sf-help' }, 'Shown in error reports and in the preview.')));
  }
  let form = null;
  if (node.connection) {
    parts.push(h('p', {}, 'Uses the tenant\'s connection ',
      h('a', { href: `#/t/${seg(env.tenant)}/connections/${seg(node.connection)}` }, node.connection), '.'));
  } else if (node.kind === 'step' && !entry) {
    parts.push(h('p', { class: 'sf-error' }, `Unknown step type ${node.type}: edit it in the Source tab.`));
  } else {
    form = schemaForm(entry?.config_schema || { type: 'object' }, nodeConfig(doc, node), {
      path: configPath(node),
      owner: () => `${doc.name || 'pipeline'}_${node.kind === 'step' ? node.type : node.connector}`,
      label: node.kind === 'step' ? `${node.type} expression` : '',
      onChange: () => changed(),
      expressionEditor: (path, value, onInput, label, id) => {
        const ed = jsonataEditor(value, { api: env.api, sample, onInput, label, id });
        editors.push(ed);
        return ed;
      },
    });
    parts.push(form.element);
    if (node.kind === 'source' && entry?.incremental_schema) parts.push(incrementalForm(env, entry.incremental_schema));
  }
  nameInput?.addEventListener('input', () => changed());
  const problemsHolder = h('div', { class: 'dz-node-problems' });
  const showProblems = (problems) => {
    const unplaced = form ? form.showErrors(problems) : problems;
    problemsHolder.replaceChildren(...(unplaced.length ? [problemList(unplaced)] : []));
  };
  showProblems(env.problems);
  parts.push(problemsHolder, previewSection(env, flow));

  function changed() {
    if (!form) {
      env.onChange(undefined, nameInput?.value.trim());
      return;
    }
    const raw = form.value();
    let config = raw && typeof raw === 'object' ? prune(raw) : raw;
    if (config === undefined) config = node.kind === 'step' && entry?.config_schema?.type === 'string' ? '' : {};
    // Always, so a field cleared since (or a whole form gone) takes its typed value out of what is stored.
    const origins = originsOf(entry?.config_schema, config);
    env.onSecrets(form.secrets().map((s) => ({ ...s, origins })), node.id);
    env.onChange(config, nameInput ? nameInput.value.trim() : undefined);
  }

  return { element: wrap(parts), refreshSample: () => editors.forEach((e) => e.refresh()), showProblems };
}

/** The source's `incremental` settings in their own fieldset; empty means a full load every run. */
function incrementalForm(env, schema) {
  const form = schemaForm(schema, env.doc.source?.incremental, { path: 'source.incremental',
    onChange: () => env.onIncremental?.(prune(form.value())) });
  return h('fieldset', { class: 'sf-object dz-incremental' }, h('legend', {}, 'Incremental reading'),
    h('p', { class: 'sf-help' }, 'Leave empty for a full load every run.'), form.element);
}

function wrap(parts) {
  return h('section', { class: 'dz-inspector', 'aria-labelledby': 'dz-inspector-title' }, ...parts);
}

function heading(node) {
  if (node.kind === 'step') return `Step ${node.index + 1}: ${node.type}${node.name ? ` (${node.name})` : ''}`;
  return node.kind === 'source' ? 'Source' : 'Destination';
}

export function problemList(problems) {
  return h('ul', { class: 'dz-problems', 'aria-label': 'Problems' }, ...problems.map((p) =>
    h('li', { class: p.severity === 'warning' ? 'dz-warning' : 'sf-error' },
      `${p.severity || 'error'} [${p.code}] ${p.field ? `${p.field}: ` : ''}${p.message}`,
      p.hint ? h('span', { class: 'sf-help' }, ` hint: ${p.hint}`) : '')));
}

function previewSection(env, flow) {
  const section = h('section', { class: 'dz-node-preview', 'aria-label': 'Preview at this node', 'aria-live': 'polite' });
  if (!flow) {
    section.append(h('p', { class: 'muted' }, 'Press Preview to see the records entering and leaving this node.'));
    return section;
  }
  if (env.stale) {
    section.append(h('p', { class: 'notice' }, 'The pipeline changed since this preview: press Preview again.'));
  }
  const { node } = env;
  const pickable = { onPick: env.onPick, picked: env.picked ?? 0 };
  if (node.kind !== 'source') {
    section.append(recordsView(flow.entering, { title: 'Entering', name: 'entering', ...pickable }));
  }
  if (node.kind === 'destination') {
    section.append(h('h4', {}, 'Dry run'), env.preview.dry_run ? dryRunView(flow.leaving)
      : h('p', { class: 'muted' }, 'Press Dry run to send these records to the TAXMAN sandbox and see each tax.'));
  } else {
    section.append(recordsView(flow.leaving, { title: 'Leaving', name: 'leaving',
      ...(node.kind === 'source' ? pickable : {}) }));
  }
  if (flow.routed.length) section.append(recordsView(flow.routed, { title: 'Routed away', name: 'routed' }));
  section.append(h('h4', {}, 'Errors'), errorsView(flow.errors));
  return section;
}
