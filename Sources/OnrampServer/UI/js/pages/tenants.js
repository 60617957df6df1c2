// Platform admins: every tenant, and a new one.
import { h, table, field, pageTitle, formatTime, busy, replace } from '../ui.js';

export async function render(root, params, ctx) {
  const api = ctx.api;
  const listBox = h('div');
  const id = h('input', { type: 'text', name: 'id', required: true, pattern: '[a-z0-9][a-z0-9\\-]*', placeholder: 'acme' });
  const name = h('input', { type: 'text', name: 'name', required: true, placeholder: 'ACME Corp' });
  const create = h('button', { type: 'submit', class: 'btn primary' }, 'Create tenant');
  root.append(pageTitle('Tenants'), h('form', { class: 'card row', onsubmit: async (e) => {
    e.preventDefault();
    const done = await busy(create, () => api.post('/tenants', { id: id.value.trim(), name: name.value.trim() }), 'Tenant created.');
    if (done) { id.value = ''; name.value = ''; await load(); }
  } }, field('Id', id, 'Lower-case letters, digits and dashes.'), field('Name', name), h('div', { class: 'field' }, create)), listBox);
  async function load() {
    const tenants = (await api.get('/tenants')).tenants || [];
    replace(listBox, table([
      { label: 'Id', value: (x) => h('a', { href: `#/t/${encodeURIComponent(x.id)}/dashboard` }, x.id) },
      { label: 'Name', value: (x) => x.name }, { label: 'Created', value: (x) => formatTime(x.created_at) },
      { label: 'People', value: (x) => h('a', { href: `#/t/${encodeURIComponent(x.id)}/users` }, 'people') },
    ], tenants, { empty: 'No tenants yet.', caption: 'Tenants' }));
  }
  await load();
}
