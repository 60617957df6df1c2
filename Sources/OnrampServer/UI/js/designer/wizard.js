// Onboarding a customer, no code: template -> tenant -> connection (form, test) -> parameters -> schedule ->
// first run watched live to its results. Each step uses the public API only.
import { h, toast, errorBox, formatTime } from '../ui.js';
import { loadCatalog, tenantPath, seg, debounce } from './common.js';
import { connectionEditor } from './connections.js';
import { paramFields, secretFields, startingConfig, parametersFrom, CRON_PRESETS } from './wizard-model.js';
import { runWatch } from './run-watch.js';

/** A fire time in the schedule's own time zone ("3 Dec 2026, 06:00 Europe/Berlin"). */
function inZone(iso, timeZone) {
  try {
    return `${new Date(iso).toLocaleString(undefined, { timeZone, dateStyle: 'medium', timeStyle: 'short' })} ${timeZone}`;
  } catch {
    return formatTime(iso);
  }
}

const STEPS = ['Template', 'Tenant', 'Connection', 'Parameters', 'Schedule', 'First run'];

export async function render(root, params, ctx) {
  const { api } = ctx;
  const catalog = await loadCatalog(api);
  const w = { step: 0, template: null, tenant: null, params: {}, pipeline: null, watch: null };
  const stepper = h('ol', { class: 'dz-stepper', 'aria-label': 'Onboarding steps' });
  const body = h('section', { class: 'dz-wizard-body', 'aria-live': 'polite' });
  root.append(h('div', { class: 'designer dz-wizard' }, h('div', { class: 'page-head' },
    h('h1', { tabindex: '-1' }, 'Onboard a customer')), stepper, body));

  function go(step) {
    w.step = step;
    stepper.replaceChildren(...STEPS.map((label, i) => h('li', {
      class: i === step ? 'dz-step-current' : i < step ? 'dz-step-done' : '',
      'aria-current': i === step ? 'step' : null }, `${i + 1}. ${label}`)));
    body.replaceChildren(h('h2', { tabindex: '-1', id: 'dz-wizard-step' }, STEPS[step]));
    const pages = [chooseTemplate, chooseTenant, connections, parameters, schedule, firstRun];
    pages[step]().catch((e) => body.append(errorBox(e)));
    body.querySelector('h2')?.focus();
  }
  const next = () => go(w.step + 1);
  const nav = (...extra) => h('div', { class: 'actions' },
    w.step > 0 ? h('button', { type: 'button', class: 'btn', onclick: () => go(w.step - 1) }, 'Back') : '', ...extra);

  async function chooseTemplate() {
    const list = (await api.get('/templates')).templates || [];
    const radios = list.map((t, i) => h('div', { class: 'dz-choice' },
      h('input', { type: 'radio', name: 'dz-template', id: `dz-tpl-${i}`, value: t.name,
        checked: w.template?.name === t.name || (!w.template && i === 0) }),
      h('label', { for: `dz-tpl-${i}` }, h('strong', {}, t.name), t.builtin ? ' (starter)' : '',
        h('span', { class: 'sf-help' }, ` ${t.description || ''}`))));
    body.append(h('fieldset', { class: 'dz-choices' }, h('legend', {}, 'Which export does the customer have?'), ...radios),
      nav(h('button', { type: 'button', class: 'btn primary', onclick: async () => {
        const chosen = body.querySelector('input[name=dz-template]:checked')?.value;
        if (!chosen) return;
        w.template = await api.get(`/templates/${seg(chosen)}`);
        next();
      } }, 'Next')));
  }

  async function chooseTenant() {
    const tenants = (await api.get('/tenants')).tenants || [];
    const canCreate = ctx.me?.principal?.role === 'platform_admin';
    const select = h('select', { id: 'dz-tenant-existing' }, h('option', { value: '' }, '(a new tenant)'),
      ...tenants.map((t) => h('option', { value: t.id }, `${t.name || t.id} (${t.id})`)));
    if (w.tenant) select.value = w.tenant;
    const idInput = h('input', { type: 'text', id: 'dz-tenant-id', pattern: '[a-z0-9][a-z0-9\\-]*', autocomplete: 'off' });
    const nameInput = h('input', { type: 'text', id: 'dz-tenant-name', autocomplete: 'off' });
    const error = h('div', { 'aria-live': 'polite' });
    const fresh = h('fieldset', { class: 'dz-new-tenant' }, h('legend', {}, 'New tenant'),
      h('div', { class: 'field' }, h('label', { for: 'dz-tenant-id' }, 'Tenant id'), idInput,
        h('small', { class: 'help' }, "Lower-case letters, digits and '-'.")),
      h('div', { class: 'field' }, h('label', { for: 'dz-tenant-name' }, 'Customer name'), nameInput));
    const sync = () => { fresh.hidden = select.value !== '' || !canCreate; };
    select.addEventListener('change', sync);
    sync();
    body.append(h('div', { class: 'field' }, h('label', { for: 'dz-tenant-existing' }, 'Tenant'), select),
      canCreate ? fresh : h('p', { class: 'muted' }, 'Only platform admins create tenants; pick an existing one.'),
      error, nav(h('button', { type: 'button', class: 'btn primary', onclick: async () => {
        error.replaceChildren();
        try {
          if (select.value) w.tenant = select.value;
          else {
            const t = await api.post('/tenants', { id: idInput.value.trim(), name: nameInput.value.trim() });
            w.tenant = t.id;
            toast(`Tenant ${t.id} created`, 'success');
          }
          next();
        } catch (e) {
          error.replaceChildren(errorBox(e));
        }
      } }, 'Next')));
  }

  async function connections() {
    const doc = w.template.document || {};
    const base = (w.template.name || 'pipeline').replace(/[^a-z0-9-]+/g, '-').slice(0, 40);
    body.append(h('p', {}, `Tenant ${w.tenant}. Fill in where the data comes from and where it goes, and test each `
      + 'connection. Values put where the template has a blank become its parameters.'));
    const editors = [];
    for (const kind of ['source', 'destination']) {
      const side = doc[kind];
      if (!side?.connector || !catalog.byKey.has(`${kind}:${side.connector}`)) continue;
      const name = kind === 'source' ? `${base}-source` : side.connector;
      let existing = null;
      try { existing = await api.get(tenantPath(w.tenant, `/connections/${seg(name)}`)); } catch { /* a new one */ }
      const editor = connectionEditor(ctx, catalog, w.tenant, existing, (saved) => {
        Object.assign(w.params, parametersFrom(side.config || {}, saved.config));
      }, side.connector, { fixedConnector: side.connector, name, config: startingConfig(side.config || {}),
        secretNames: secretFields(side.config || {}) });
      editor.classList.add(`dz-wizard-${kind}`);
      const blanks = Object.entries(paramFields(side.config || {}))
        .map(([f, p]) => `${f.replace(/^config\./, '')} → ${p}`);
      body.append(h('h3', {}, kind === 'source' ? 'Source' : 'Destination'),
        blanks.length ? h('p', { class: 'sf-help' }, `Template blanks here: ${blanks.join(', ')}`) : '', editor);
      editors.push(editor);
    }
    body.append(nav(h('button', { type: 'button', class: 'btn primary', onclick: async () => {
      for (const e of editors) if (!(await e.save())) return;
      next();
    } }, 'Next')));
  }

  async function parameters() {
    const details = new Map((w.template.parameter_details || []).map((d) => [d.name, d]));
    const nameInput = h('input', { type: 'text', id: 'dz-param-pipeline', autocomplete: 'off',
      value: w.pipeline?.name || `${w.tenant}-${w.template.name}`.slice(0, 60) });
    const inputs = (w.template.parameters || []).map((p) => {
      const d = details.get(p);
      const input = h('input', { type: 'text', id: `dz-param-${p}`, name: p, value: w.params[p] ?? '',
        placeholder: d?.example || '', autocomplete: 'off' });
      const err = h('p', { class: 'sf-error', hidden: true, 'aria-live': 'polite' });
      return { p, input, err, el: h('div', { class: 'field', 'data-field': `parameters.${p}` },
        h('label', { for: `dz-param-${p}` }, p), input, d ? h('small', { class: 'help' }, d.description) : '', err) };
    });
    const status = h('div', { 'aria-live': 'polite' });
    body.append(h('div', { class: 'field' }, h('label', { for: 'dz-param-pipeline' }, 'Pipeline name'), nameInput),
      ...inputs.map((i) => i.el), status, nav(h('button', { type: 'button', class: 'btn primary', onclick: async () => {
        status.replaceChildren();
        for (const i of inputs) i.err.hidden = true;
        const values = Object.fromEntries(inputs.map((i) => [i.p, i.input.value]));
        Object.assign(w.params, values);
        try {
          w.pipeline = await api.post(tenantPath(w.tenant, `/templates/${seg(w.template.name)}/pipelines`),
            { name: nameInput.value.trim(), parameters: values });
          toast(`Pipeline ${w.pipeline.name} created`, 'success');
          next();
        } catch (e) {
          const at = inputs.find((i) => e.field === `parameters.${i.p}`);
          if (at) { at.err.textContent = e.message; at.err.hidden = false; at.input.focus(); }
          else status.replaceChildren(errorBox(e));
        }
      } }, 'Create the pipeline')));
  }

  async function schedule() {
    const cron = h('input', { type: 'text', id: 'dz-cron', value: CRON_PRESETS[2].cron, autocomplete: 'off' });
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
    const zone = h('select', { id: 'dz-timezone' }, ...['UTC', ...zones.filter((z) => z !== 'UTC')]
      .map((z) => h('option', { value: z }, z)));
    zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const times = h('ol', { class: 'fire-times', 'aria-live': 'polite', 'aria-label': 'Next fire times' });
    const problem = h('p', { class: 'sf-error', hidden: true, 'aria-live': 'polite' });
    const status = h('div', { 'aria-live': 'polite' });
    const refresh = debounce(async () => {
      try {
        const r = await api.post('/schedules/preview', { cron: cron.value, timezone: zone.value, count: 5 });
        problem.hidden = true;
        times.replaceChildren(...(r.next || []).map((t) => h('li', {}, `${inZone(t, zone.value)} (${t})`)));
      } catch (e) {
        times.replaceChildren();
        problem.textContent = `${e.field ? `${e.field}: ` : ''}${e.message}`;
        problem.hidden = false;
      }
    }, 300);
    cron.addEventListener('input', refresh);
    zone.addEventListener('change', refresh);
    const presets = h('div', { class: 'dz-actions', role: 'group', 'aria-label': 'Presets' },
      ...CRON_PRESETS.map((p) => h('button', { type: 'button', class: 'btn small', onclick: () => {
        cron.value = p.cron;
        refresh();
      } }, p.label)));
    body.append(presets,
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'dz-cron' }, 'Cron'), cron),
        h('div', { class: 'field' }, h('label', { for: 'dz-timezone' }, 'Time zone'), zone)),
      problem, h('h3', {}, 'Next runs'), times, status,
      nav(h('button', { type: 'button', class: 'btn', onclick: next }, 'Skip'),
        h('button', { type: 'button', class: 'btn primary', onclick: async () => {
          try {
            await api.post(tenantPath(w.tenant, `/pipelines/${seg(w.pipeline.id)}/schedules`),
              { cron: cron.value, timezone: zone.value, enabled: true });
            toast('Schedule created', 'success');
            next();
          } catch (e) {
            status.replaceChildren(errorBox(e));
          }
        } }, 'Create the schedule')));
    refresh();
  }

  async function firstRun() {
    const status = h('div', { 'aria-live': 'polite' });
    const holder = h('div', {});
    const start = h('button', { type: 'button', class: 'btn primary', onclick: async () => {
      start.disabled = true;
      try {
        const run = await api.post(tenantPath(w.tenant, `/pipelines/${seg(w.pipeline.id)}/runs`), {});
        w.watch?.close();
        w.watch = runWatch(api, w.tenant, run.id);
        holder.replaceChildren(w.watch.element);
      } catch (e) {
        start.disabled = false;
        status.replaceChildren(errorBox(e));
      }
    } }, 'Start the first run');
    body.append(h('p', {}, `Pipeline ${w.pipeline.name} of tenant ${w.tenant} is ready.`), status, start, holder,
      nav(h('a', { class: 'btn', href: `#/t/${seg(w.tenant)}/pipelines/${seg(w.pipeline.id)}/design` }, 'Open in designer'),
        h('a', { class: 'btn', href: `#/t/${seg(w.tenant)}/dashboard` }, 'Go to the dashboard')));
  }

  go(0);
  return () => w.watch?.close();
}
