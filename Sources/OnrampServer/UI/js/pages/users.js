// The tenant's people: accounts that sign in here with a password (a generated one is shown once).
import { h, table, field, pageTitle, replace, formatTime, busy } from '../ui.js';
import { tenantPath } from '../api.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const listBox = h('div');
  const shown = h('div', { 'aria-live': 'polite' });
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
  const role = h('select', { name: 'role' }, h('option', { value: 'tenant_viewer' }, 'viewer'), h('option', { value: 'tenant_admin' }, 'admin'));
  const create = h('button', { type: 'submit', class: 'btn primary' }, 'Add person');
  root.append(pageTitle('People'), h('form', { class: 'card row', onsubmit: async (e) => {
    e.preventDefault();
    const user = await busy(create, () => api.post(tenantPath(tenant, '/users'), { email: email.value.trim(), role: role.value }),
      'Account created.');
    if (!user) return;
    email.value = '';
    replace(shown, h('div', { class: 'notice', role: 'alert' }, `${user.email} signs in with this password (shown once; they can change it `
      + 'under My account):', h('p', { class: 'secret-once', tabindex: '0' }, user.password || '')));
    await load();
  } }, field('E-mail', email), field('Role', role), h('div', { class: 'field' }, create)), shown, listBox);
  async function load() {
    const users = (await api.get(tenantPath(tenant, '/users'))).users || [];
    replace(listBox, table([
      { label: 'E-mail', value: (u) => u.email }, { label: 'Role', value: (u) => u.role.replace(/_/g, ' ') },
      { label: 'Since', value: (u) => formatTime(u.created_at) },
    ], users, { empty: 'Nobody signs in here yet.', caption: 'People' }));
  }
  await load();
}
