// The tenant's API keys: create one (its secret is shown once), revoke.
import { h, table, field, pageTitle, replace, formatTime, busy, confirmDialog, badge } from '../ui.js';
import { tenantPath } from '../api.js';

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const listBox = h('div', { 'aria-live': 'polite' });
  const shown = h('div', { 'aria-live': 'polite' });
  const name = h('input', { type: 'text', name: 'name', required: true, placeholder: 'ERP export job' });
  const role = h('select', { name: 'role' }, h('option', { value: 'tenant_viewer' }, 'viewer (read only)'),
    h('option', { value: 'tenant_admin' }, 'admin'));
  const create = h('button', { type: 'submit', class: 'btn primary' }, 'Create key');
  root.append(pageTitle('API keys'),
    h('form', { class: 'card row', onsubmit: async (e) => {
      e.preventDefault();
      const key = await busy(create, () => api.post(tenantPath(tenant, '/api-keys'), { name: name.value.trim() || role.value, role: role.value }),
        'Key created.');
      if (!key) return;
      name.value = '';
      const secret = h('p', { class: 'secret-once', tabindex: '0' }, key.key);
      const copy = h('button', { type: 'button', class: 'btn small', onclick: async () => {
        try { await navigator.clipboard.writeText(key.key); copy.textContent = 'Copied'; } catch { copy.textContent = 'Select and copy it'; }
      } }, 'Copy');
      replace(shown, h('div', { class: 'notice', role: 'alert' }, h('strong', {}, `The key "${key.name}": `),
        'copy it now, it is not shown again.', secret, copy));
      await load();
    } }, field('Name', name), field('Role', role), h('div', { class: 'field' }, create)),
    shown, listBox);

  async function load() {
    const keys = (await api.get(tenantPath(tenant, '/api-keys'))).api_keys || [];
    keys.sort((a, b) => (a.revoked_at ? 1 : 0) - (b.revoked_at ? 1 : 0) || b.created_at.localeCompare(a.created_at));
    replace(listBox, table([
      { label: 'Name', value: (k) => k.name },
      { label: 'Role', value: (k) => k.role.replace(/_/g, ' ') },
      { label: 'Created', value: (k) => formatTime(k.created_at) },
      { label: 'State', value: (k) => k.revoked_at ? h('span', {}, badge('revoked'), ' ', formatTime(k.revoked_at)) : badge('active') },
      { label: 'Actions', value: (k) => k.revoked_at ? '' : h('button', { type: 'button', class: 'btn small', onclick: async (e) => {
        if (!await confirmDialog(`Revoke the key "${k.name}"? Programs using it stop working at once.`, { confirm: 'Revoke', danger: true })) return;
        const done = await busy(e.target.closest('button'), () => api.del(tenantPath(tenant, '/api-keys/' + encodeURIComponent(k.id))), 'Key revoked.');
        if (done !== undefined) await load();
      } }, 'Revoke') },
    ], keys, { empty: 'No API keys yet.', caption: 'API keys' }));
  }
  await load();
}
