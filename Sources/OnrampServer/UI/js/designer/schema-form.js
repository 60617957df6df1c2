// A form rendered from a JSON Schema (a connector's or a step's config_schema). It reads a value and gives one
// back, keeps keys the schema does not know, shows API errors (`field: config.path`) at their field, and turns a
// typed secret into a `${secret:NAME}` reference (the page stores the value as a tenant secret: never shown again).
import { h } from '../ui.js';
import {
  fieldKind, properties, requiredKeys, labelFor, placeholderFor, joinPath, fieldUnder, initialValue,
  numberFromInput, secretReference, secretName, schemaType,
} from './schema-model.js';

let counter = 0;
const nextId = () => `sf-${++counter}`;

/**
 * Builds the form. `opts`: `path` (the value's field path, `config`), `owner` (names typed secrets), `onChange`,
 * `expressionEditor(path, value, onInput, label, id)` -> `{element, read}` for `format: jsonata` strings,
 * `secretNames` (`{"config.api_key": "TAXMAN_API_KEY"}`: the secret a typed value is stored as).
 * Returns `{element, value(), showErrors(errors), clearErrors(), secrets()}`.
 */
export function schemaForm(schema, value, opts = {}) {
  const ctx = { fields: [], secrets: new Map(), opts, onChange: () => opts.onChange?.() };
  const base = opts.path ?? 'config';
  const root = build(ctx, schema || {}, value, base, opts.label || '', true, true);
  const general = h('p', { class: 'sf-error', role: 'alert', hidden: true });
  const element = h('div', { class: 'schema-form' }, general, root.element);
  return {
    element,
    value: () => {
      ctx.secrets.clear();
      return root.read();
    },
    secrets: () => [...ctx.secrets.values()],
    clearErrors: () => {
      general.hidden = true;
      for (const f of ctx.fields) f.setError(null);
    },
    /** Shows each `{field, message}` at the deepest field it names; returns the ones no field holds. */
    showErrors(errors) {
      this.clearErrors();
      const left = [];
      for (const e of errors || []) {
        let best = null;
        for (const f of ctx.fields) {
          if (fieldUnder(e.field, f.path) && (!best || f.path.length > best.path.length)) best = f;
        }
        if (best) best.setError(e.message || e.code);
        else left.push(e);
      }
      if (left.length && opts.showUnplaced !== false) {
        general.textContent = left.map((e) => (e.field ? `${e.field}: ` : '') + (e.message || e.code)).join('\n');
        general.hidden = false;
      }
      return left;
    },
  };
}

function fieldShell(ctx, path, label, schema, required, control, id) {
  const error = h('p', { class: 'sf-error', id: `${id}-err`, hidden: true, 'aria-live': 'polite' });
  const help = typeof schema?.description === 'string'
    ? h('p', { class: 'sf-help', id: `${id}-help` }, schema.description) : null;
  const labelEl = h('label', { for: id, class: required ? 'sf-label sf-required' : 'sf-label' }, label,
    required ? h('span', { class: 'sf-req', 'aria-hidden': 'true' }, ' *') : '');
  const wrap = h('div', { class: 'sf-field', 'data-field': path }, labelEl, control, help, error);
  const entry = {
    path,
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      wrap.classList.toggle('sf-invalid', !!message);
      const input = wrap.querySelector('input, select, textarea');
      if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false');
    },
  };
  ctx.fields.push(entry);
  return wrap;
}

function describedBy(schema, id) {
  return schema?.description ? `${id}-help ${id}-err` : `${id}-err`;
}

function build(ctx, schema, value, path, label, required, isRoot = false) {
  const kind = fieldKind(schema);
  const start = value === undefined ? initialValue(schema) : value;
  switch (kind) {
    case 'object': return buildObject(ctx, schema, start, path, label, isRoot);
    case 'map': return buildMap(ctx, schema, start, path, label);
    case 'array': return buildArray(ctx, schema, start, path, label, required);
    default: return buildScalar(ctx, kind, schema, value, value, path, label, required);
  }
}

function buildScalar(ctx, kind, schema, original, start, path, label, required) {
  const id = nextId();
  const common = { id, name: path, 'aria-describedby': describedBy(schema, id), required: !!required };
  let control;
  let read;
  const changed = () => ctx.onChange();
  if (kind === 'enum') {
    const dflt = schema.default !== undefined ? `(default: ${String(schema.default)})` : '(not set)';
    const options = [h('option', { value: '' }, required ? '(choose)' : dflt)];
    for (const v of schema.enum) options.push(h('option', { value: JSON.stringify(v) }, String(v)));
    control = h('select', { ...common, onchange: changed }, ...options);
    if (start !== undefined) control.value = JSON.stringify(start);
    read = () => (control.value === '' ? undefined : JSON.parse(control.value));
  } else if (kind === 'boolean') {
    control = h('input', { ...common, type: 'checkbox', onchange: () => { touched = true; changed(); } });
    let touched = original !== undefined;
    control.checked = (start === undefined ? schema.default : start) === true;
    read = () => (touched ? control.checked : undefined);
  } else if (kind === 'secret') {
    const ref = secretReference(original);
    control = h('input', { ...common, type: 'password', autocomplete: 'new-password', oninput: changed,
      placeholder: ref ? `secret ${ref}: type a value to store it` : 'stored as a tenant secret' });
    control.value = '';
    read = () => {
      if (control.value !== '') {
        const owner = typeof ctx.opts.owner === 'function' ? ctx.opts.owner() : ctx.opts.owner;
        const name = ctx.opts.secretNames?.[path] || secretName(owner, path);
        ctx.secrets.set(path, { name, value: control.value, path });
        return `\${secret:${name}}`;
      }
      return original;
    };
  } else if (kind === 'jsonata' && ctx.opts.expressionEditor) {
    const editor = ctx.opts.expressionEditor(path, typeof start === 'string' ? start : '', changed, label, id);
    control = editor.element;
    read = () => {
      const v = editor.read();
      return v === '' ? undefined : v;
    };
  } else if (kind === 'json') {
    control = h('textarea', { ...common, class: 'sf-json', rows: 3, oninput: changed, spellcheck: false });
    control.value = start === undefined ? '' : JSON.stringify(start, null, 2);
    read = () => {
      if (control.value.trim() === '') return undefined;
      try { return JSON.parse(control.value); } catch { return original; }
    };
  } else {
    const numeric = kind === 'number' || kind === 'integer';
    const multiline = kind === 'jsonata' || (typeof start === 'string' && start.includes('\n'));
    control = h(multiline ? 'textarea' : 'input', {
      ...common, oninput: changed,
      placeholder: placeholderFor(schema) || (schema.default !== undefined ? `default: ${String(schema.default)}` : ''),
      ...(multiline ? { rows: 3, spellcheck: false } : { type: 'text' }),
      ...(numeric ? { inputMode: kind === 'integer' ? 'numeric' : 'decimal' } : {}),
    });
    control.value = start === undefined || start === null ? '' : String(start);
    read = () => {
      if (numeric) return numberFromInput(control.value, kind === 'integer');
      return control.value === '' ? (original === '' ? '' : undefined) : control.value;
    };
  }
  const element = fieldShell(ctx, path, label || path, schema, required, control, id);
  if (kind === 'secret') element.classList.add('sf-secret');
  if (kind === 'boolean') element.classList.add('sf-check');
  return { element, read };
}

function buildObject(ctx, schema, value, path, label, isRoot) {
  const props = properties(schema);
  const required = requiredKeys(schema);
  const current = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  const children = Object.entries(props).map(([key, sub]) => ({
    key, field: build(ctx, sub, current[key], joinPath(path, key), labelFor(key, sub), required.has(key)),
  }));
  const extra = Object.fromEntries(Object.entries(current).filter(([k]) => !(k in props)));
  const body = children.map((c) => c.field.element);
  if (!body.length && isRoot) body.push(h('p', { class: 'sf-help' }, 'Nothing to set up.'));
  const element = isRoot
    ? h('div', { class: 'sf-object', 'data-field': path }, ...body)
    : h('fieldset', { class: 'sf-object', 'data-field': path }, h('legend', {}, label || path),
      schema.description ? h('p', { class: 'sf-help' }, schema.description) : '', ...body);
  const errorHolder = h('p', { class: 'sf-error', hidden: true, 'aria-live': 'polite' });
  element.append(errorHolder);
  ctx.fields.push({ path, setError(m) { errorHolder.textContent = m || ''; errorHolder.hidden = !m; } });
  return {
    element,
    read() {
      const out = structuredClone(extra);
      for (const c of children) {
        const v = c.field.read();
        if (v !== undefined) out[c.key] = v;
      }
      return out;
    },
  };
}

function listShell(ctx, path, label, schema, addLabel, onAdd) {
  const list = h('div', { class: 'sf-items' });
  const errorHolder = h('p', { class: 'sf-error', hidden: true, 'aria-live': 'polite' });
  const element = h('fieldset', { class: 'sf-list', 'data-field': path }, h('legend', {}, label || path),
    schema.description ? h('p', { class: 'sf-help' }, schema.description) : '', list,
    h('button', { type: 'button', class: 'btn small sf-add', onclick: onAdd }, addLabel), errorHolder);
  ctx.fields.push({ path, setError(m) { errorHolder.textContent = m || ''; errorHolder.hidden = !m; } });
  return { element, list };
}

function buildArray(ctx, schema, value, path, label) {
  const itemSchema = schema.items && typeof schema.items === 'object' ? schema.items : {};
  const items = [];
  const shell = listShell(ctx, path, label, schema, `Add ${labelFor('item', itemSchema).toLowerCase()}`, () => {
    add(initialValue(itemSchema));
    ctx.onChange();
  });
  const renumber = () => items.forEach((it, i) => { it.number.textContent = `${i + 1}.`; });
  function add(v) {
    const index = items.length;
    const field = build(ctx, itemSchema, v, joinPath(path, index), `${labelFor('item', itemSchema)} ${index + 1}`, false);
    const item = { field, number: h('span', { class: 'sf-item-number' }) };
    item.element = h('div', { class: 'sf-item' }, item.number, field.element,
      h('button', { type: 'button', class: 'btn small sf-remove',
        'aria-label': `Remove item ${index + 1} of ${label || path}`,
        onclick: () => {
          items.splice(items.indexOf(item), 1);
          item.element.remove();
          renumber();
          ctx.onChange();
        } }, 'Remove'));
    items.push(item);
    shell.list.append(item.element);
    renumber();
  }
  for (const v of Array.isArray(value) ? value : []) add(v);
  return {
    element: shell.element,
    read: () => (items.length || Array.isArray(value) ? items.map((it) => it.field.read() ?? null) : undefined),
  };
}

function buildMap(ctx, schema, value, path, label) {
  const valueSchema = schema.additionalProperties;
  const rows = [];
  const shell = listShell(ctx, path, label, schema, 'Add field', () => {
    add('', initialValue(valueSchema));
    ctx.onChange();
  });
  function add(key, v) {
    const keyId = nextId();
    const keyInput = h('input', { type: 'text', id: keyId, value: key, class: 'sf-key', oninput: () => ctx.onChange() });
    const valueType = schemaType(valueSchema);
    const field = build(ctx, valueSchema, v, joinPath(path, key || 'new'), valueType === 'object' ? 'Settings' : 'Value',
      false);
    const row = { keyInput, field };
    row.element = h('div', { class: 'sf-item sf-map-row' },
      h('div', { class: 'sf-field' }, h('label', { for: keyId, class: 'sf-label' }, 'Field'), keyInput),
      field.element,
      h('button', { type: 'button', class: 'btn small sf-remove', 'aria-label': `Remove ${key || 'this field'}`,
        onclick: () => {
        rows.splice(rows.indexOf(row), 1);
        row.element.remove();
        ctx.onChange();
      } }, 'Remove'));
    rows.push(row);
    shell.list.append(row.element);
  }
  for (const [k, v] of Object.entries(value && typeof value === 'object' ? value : {})) add(k, v);
  return {
    element: shell.element,
    read() {
      const out = {};
      for (const r of rows) {
        const k = r.keyInput.value.trim();
        if (!k) continue;
        const v = r.field.read();
        out[k] = v === undefined ? '' : v;
      }
      return rows.length || value ? out : undefined;
    },
  };
}
