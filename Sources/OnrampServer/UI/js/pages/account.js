// My account: who I am, and changing my password (sessions only).
import { h, field, errorBox, replace, toast, pageTitle } from '../ui.js';

export async function render(root, params, ctx) {
  const p = ctx.me.principal;
  root.append(pageTitle('My account'),
    h('div', { class: 'card' }, h('dl', { class: 'props' },
      h('dt', {}, 'Signed in as'), h('dd', {}, p.name || p.id),
      h('dt', {}, 'Role'), h('dd', {}, p.role.replace(/_/g, ' ')),
      h('dt', {}, 'Tenant'), h('dd', {}, p.tenant_id || 'all tenants'),
      h('dt', {}, 'Signed in with'), h('dd', {}, p.kind === 'session' ? 'password (session)' : 'an API key'))));
  if (p.kind !== 'session') {
    root.append(h('p', { class: 'muted' }, 'API keys have no password to change.'));
    return;
  }
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const again = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const message = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Change password');
  root.append(h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    replace(message);
    if (next.value.length < 12) { replace(message, errorBox({ message: 'The new password needs at least 12 characters.' })); return; }
    if (next.value !== again.value) { replace(message, errorBox({ message: 'The two new passwords differ.' })); return; }
    submit.disabled = true;
    try {
      await ctx.api.post('/me/password', { current_password: current.value, new_password: next.value });
      current.value = ''; next.value = ''; again.value = '';
      toast('Password changed. Your other sessions were signed out.', 'success');
    } catch (err) {
      replace(message, errorBox(err));
    } finally { submit.disabled = false; }
  } },
  h('h2', {}, 'Change password'),
  field('Current password', current), field('New password', next, 'At least 12 characters.'),
  field('New password again', again), message, h('div', { class: 'actions left' }, submit)));
}
