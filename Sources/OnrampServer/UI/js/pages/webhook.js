// The tenant's own webhook: where run ends are POSTed, for which end states, signed with a secret bound to the URL's
// origin. Saving stores the typed signing secret first (as the tenant secret WEBHOOK_SIGNING, bound to the URL's
// origin), then the webhook naming it; an empty secret field keeps the current one.
import { h, field, pageTitle, replace, formatTime, busy, confirmDialog, errorBox } from '../ui.js';
import { tenantPath } from '../api.js';

const SECRET = 'WEBHOOK_SIGNING';
const EVENTS = [['failed', 'Failed'], ['succeeded_with_errors', 'Succeeded with errors'], ['succeeded', 'Succeeded'],
  ['cancelled', 'Cancelled']];

export async function render(root, params, ctx) {
  const tenant = params.tenant;
  const api = ctx.api;
  const status = h('div', { 'aria-live': 'polite' });
  const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://hooks.example.com/onramp',
    autocomplete: 'off' });
  const secret = h('input', { type: 'password', name: 'secret', autocomplete: 'new-password', minlength: '16' });
  const generate = h('button', { type: 'button', class: 'btn small', onclick: () => {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    secret.type = 'text';
    secret.value = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    secret.select();
  } }, 'Generate');
  const boxes = EVENTS.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', name: 'events', value });
    return { value, box, el: h('label', { class: 'field check' }, box, label) };
  });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true });
  const save = h('button', { type: 'submit', class: 'btn primary' }, 'Save webhook');
  const remove = h('button', { type: 'button', class: 'btn danger', onclick: onRemove }, 'Remove webhook');
  let current = null;

  const form = h('form', { class: 'card', onsubmit: onSave },
    field('URL', url, 'Each run of this tenant that ends in one of the states below is POSTed here as JSON.'),
    h('div', { class: 'field' }, h('label', { for: secret.id || (secret.id = 'webhook-secret') }, 'Signing secret'),
      h('div', { class: 'row' }, secret, generate),
      h('small', { class: 'help', id: 'webhook-secret-help' }, 'The body is signed with HMAC-SHA256 under it ',
        '(header X-Onramp-Signature: sha256=<hex>). It is never shown again; leave it empty to keep the current one.')),
    h('fieldset', { class: 'field' }, h('legend', {}, 'Send when a run ends'), boxes.map((b) => b.el)),
    h('label', { class: 'field check' }, enabled, 'Enabled'),
    h('div', { class: 'actions left' }, save, remove));
  secret.setAttribute('aria-describedby', 'webhook-secret-help');
  root.append(pageTitle('Webhook'), status, form,
    h('p', { class: 'muted' }, 'Delivery is retried for about 40 minutes; each run page shows its webhook\u2019s state. ',
      'Receivers can drop repeats by the X-Onramp-Delivery header (the run id).'));

  function show(hook) {
    current = hook;
    url.value = hook ? hook.url : '';
    secret.value = '';
    secret.required = !hook;
    const events = hook ? hook.events : ['failed', 'succeeded_with_errors'];
    for (const b of boxes) b.box.checked = events.includes(b.value);
    enabled.checked = hook ? hook.enabled : true;
    remove.hidden = !hook;
    replace(status, hook ? h('p', { class: 'muted' }, `Saved ${formatTime(hook.updated_at)}.`)
      : h('p', { class: 'muted' }, 'No webhook yet: runs are not announced anywhere.'));
  }

  async function onSave(e) {
    e.preventDefault();
    const events = boxes.filter((b) => b.box.checked).map((b) => b.value);
    if (events.length === 0) { replace(status, errorBox({ message: 'choose at least one run end state' })); return; }
    let origin;
    try { origin = new URL(url.value.trim()).origin; } catch {
      replace(status, errorBox({ message: 'the URL is not valid', field: 'url' }));
      return;
    }
    if (current && !secret.value && new URL(current.url).origin !== origin) {
      replace(status, errorBox({ message: 'type the signing secret again (or generate one): it is bound to the old '
        + 'address, and is only sent to the address it is bound to', field: 'secret' }));
      secret.focus();
      return;
    }
    const hook = await busy(save, async () => {
      if (secret.value) await api.put(tenantPath(tenant, `/secrets/${SECRET}`), { value: secret.value, origins: [origin] });
      return api.put(tenantPath(tenant, '/webhook'), { url: url.value.trim(),
        secret: current && !secret.value ? current.secret : `\${secret:${SECRET}}`, events, enabled: enabled.checked });
    }, 'Webhook saved.');
    if (hook) show(hook);
  }

  async function onRemove() {
    if (!await confirmDialog('Remove the webhook? Runs are no longer announced.', { confirm: 'Remove', danger: true })) return;
    const done = await busy(remove, () => api.del(tenantPath(tenant, '/webhook')), 'Webhook removed.');
    if (done !== undefined) show(null);
  }

  try {
    show(await api.get(tenantPath(tenant, '/webhook')));
  } catch (err) {
    if (err.status === 404) show(null); else replace(status, errorBox(err));
  }
}
