// "Save as template": the pipeline's values listed with a checkbox each; the chosen ones become `${param:NAME}`
// blanks and the document is stored with `PUT /templates/{name}` (the onboarding wizard fills them in).
import { h, openDialog, toast, errorBox } from '../ui.js';
import { seg } from './common.js';
import { blankCandidates, paramNameFor, withBlanks } from './template-model.js';

/** Opens the dialog for `doc`; resolves when it closes. */
export function saveAsTemplate(api, doc) {
  return openDialog('Save as template', (close) => {
    const nameInput = h('input', { type: 'text', id: 'dz-tpl-name', required: true, autocomplete: 'off',
      value: `${doc.name || 'pipeline'}-template` });
    const description = h('input', { type: 'text', id: 'dz-tpl-description', autocomplete: 'off' });
    const status = h('div', { 'aria-live': 'polite' });
    const rows = blankCandidates(doc).map((c, i) => {
      const check = h('input', { type: 'checkbox', id: `dz-blank-${i}` });
      const param = h('input', { type: 'text', id: `dz-blank-${i}-name`, value: paramNameFor(c.path), autocomplete: 'off',
        'aria-label': `Parameter name for ${c.path}` });
      return { c, check, param, el: h('tr', {},
        h('td', {}, check), h('td', {}, h('label', { for: `dz-blank-${i}` }, c.path)),
        h('td', { class: 'dz-code' }, String(c.value).slice(0, 80)), h('td', {}, param)) };
    });
    const save = async (ev) => {
      ev.preventDefault();
      status.replaceChildren();
      const choices = rows.filter((r) => r.check.checked).map((r) => ({ path: r.c.path, name: r.param.value.trim() }));
      if (choices.some((c) => !/^[A-Za-z0-9_.-]+$/.test(c.name))) {
        status.replaceChildren(h('p', { class: 'sf-error' }, 'A parameter name is letters, digits, _ . and -.'));
        return;
      }
      try {
        const saved = await api.put(`/templates/${seg(nameInput.value.trim())}`,
          { description: description.value, document: withBlanks(doc, choices) });
        toast(`Template ${saved.name} saved with ${(saved.parameters || []).length} parameters`, 'success');
        close('saved');
      } catch (e) {
        status.replaceChildren(errorBox(e));
      }
    };
    return h('form', { class: 'dz-template-form', onsubmit: save },
      h('div', { class: 'field' }, h('label', { for: 'dz-tpl-name' }, 'Template name'), nameInput),
      h('div', { class: 'field' }, h('label', { for: 'dz-tpl-description' }, 'Description'), description),
      h('p', { class: 'sf-help' }, 'Tick the values each customer fills in when onboarding; they become parameters.'),
      rows.length ? h('div', { class: 'table-wrap dz-blanks' }, h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, ...['Blank', 'Field', 'Value', 'Parameter'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows.map((r) => r.el)))) : h('p', { class: 'empty' }, 'This pipeline has no values to blank.'),
      status,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => close('') }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Save template')));
  });
}
