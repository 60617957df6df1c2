// Sign-in with e-mail and password: a session cookie and the CSRF token for writes.
import { h, field, errorBox, replace } from '../ui.js';
import { setCsrfToken } from '../api.js';

export async function render(root, params, ctx) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Sign in');
  const form = h('form', { class: 'card login', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    replace(message);
    submit.disabled = true;
    try {
      const answer = await ctx.api.post('/login', { email: email.value.trim(), password: password.value });
      setCsrfToken(answer.csrf_token);
      await ctx.refreshMe();
      const next = params.query.get('next');
      ctx.navigate(next && next.startsWith('/') && !next.startsWith('/login') ? next : '/');
    } catch (err) {
      password.value = '';
      replace(message, errorBox(err.status === 401 ? { message: 'Wrong e-mail or password.' } : err));
      password.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', { tabindex: '-1' }, 'Sign in to Onramp'),
  field('E-mail', email), field('Password', password), message,
  h('div', { class: 'actions' }, submit));
  root.appendChild(form);
  if (ctx.me) {
    form.prepend(h('p', { class: 'notice' }, `You are signed in as ${ctx.me.principal.name || ctx.me.principal.id}. `,
      h('a', { href: '#/' }, 'Continue')));
  }
  email.focus();
}
