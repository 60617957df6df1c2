// Boot and the hash router: who is signed in, the navigation for their role, one page module at a time.
import { api, setCsrfToken, tenantPath } from './api.js';
import { routes, match, allowed, switchedPath } from './routes.js';
import { h, replace, errorBox } from './ui.js';

const LAST_TENANT = 'onramp.tenant';
/** The `/ui/<hash>/` this page's modules came from. */
const ASSET_HASH = new URL(import.meta.url).pathname.split('/')[2] || '';

/** The hash the server's index.html names now (null when it cannot be read). */
async function currentAssetHash() {
  try {
    const html = await (await fetch('/', { cache: 'no-store', credentials: 'same-origin' })).text();
    return (html.match(/\/ui\/([0-9a-f]+)\//) || [])[1] || null;
  } catch { return null; }
}
const state = { me: null, tenants: null, cleanup: null, token: 0 };

/** Reads `GET /me` again (after sign-in or sign-out); null when nobody is signed in. */
export async function refreshMe() {
  try {
    state.me = await api.get('/me');
    setCsrfToken(state.me.csrf_token);
  } catch {
    state.me = null;
    setCsrfToken(null);
  }
  state.tenants = null;
  return state.me;
}

export function navigate(path) {
  const target = '#' + path;
  if (location.hash === target) render(); else location.hash = target;
}

function splitHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return q < 0 ? [raw, new URLSearchParams()] : [raw.slice(0, q), new URLSearchParams(raw.slice(q + 1))];
}

async function visibleTenants() {
  if (state.tenants) return state.tenants;
  const p = state.me && state.me.principal;
  if (!p) return [];
  if (p.tenant_id) {
    state.tenants = [{ id: p.tenant_id, name: p.tenant_id }];
  } else {
    try {
      const answer = await api.get('/tenants');
      state.tenants = answer.tenants || [];
    } catch { state.tenants = []; }
  }
  return state.tenants;
}

async function homePath() {
  const p = state.me.principal;
  if (p.tenant_id) return `/t/${encodeURIComponent(p.tenant_id)}/dashboard`;
  const tenants = await visibleTenants();
  const last = localStorage.getItem(LAST_TENANT);
  const pick = tenants.find((t) => t.id === last) || tenants[0];
  if (pick) return `/t/${encodeURIComponent(pick.id)}/dashboard`;
  return p.role === 'platform_admin' ? '/tenants' : '/account';
}

async function renderNav(tenant, current) {
  const nav = document.getElementById('nav');
  const me = state.me;
  if (!me) { replace(nav); nav.hidden = true; return; }
  nav.hidden = false;
  const p = me.principal;
  const tenants = await visibleTenants();
  const tenantId = tenant || (p.tenant_id ?? localStorage.getItem(LAST_TENANT)) || (tenants[0] && tenants[0].id);
  const links = [];
  if (tenantId) {
    for (const r of routes) {
      if (!r.nav || !r.path.startsWith('/t/:tenant/') || !allowed(r, p.role)) continue;
      const href = r.path.replace(':tenant', encodeURIComponent(tenantId));
      links.push(h('li', {}, h('a', { href: '#' + href, 'aria-current': current === r ? 'page' : null }, r.nav)));
    }
  }
  if (p.role === 'platform_admin' || p.role === 'engineer') {
    links.push(h('li', {}, h('a', { href: '#/onboard', 'aria-current': current && current.path === '/onboard' ? 'page' : null },
      'Onboard')));
  }
  if (p.role === 'platform_admin') {
    links.push(h('li', {}, h('a', { href: '#/tenants', 'aria-current': current && current.path === '/tenants' ? 'page' : null },
      'Tenants')));
  }
  let switcher = null;
  if (!p.tenant_id && tenants.length > 0) {
    const select = h('select', { id: 'tenant-switch', onchange: (e) => switchTenant(e.target.value) },
      tenants.map((t) => h('option', { value: t.id, selected: t.id === tenantId }, t.name && t.name !== t.id
        ? `${t.name} (${t.id})` : t.id)));
    switcher = h('div', { class: 'tenant-switch' }, h('label', { for: 'tenant-switch' }, 'Tenant'), select);
  } else if (p.tenant_id) {
    switcher = h('div', { class: 'tenant-name' }, p.tenant_id);
  }
  replace(nav,
    h('div', { class: 'brand' }, h('a', { href: '#/' }, 'Onramp')),
    switcher,
    h('nav', { 'aria-label': 'Pages' }, h('ul', { class: 'nav-links' }, links)),
    h('div', { class: 'nav-foot' },
      h('a', { href: '#/account', class: 'who', 'aria-current': current && current.path === '/account' ? 'page' : null },
        p.name || p.id),
      h('span', { class: 'muted role' }, p.role.replace(/_/g, ' ')),
      p.kind === 'session' ? h('button', { type: 'button', class: 'btn small', onclick: signOut }, 'Sign out') : null));
}

function switchTenant(id) {
  localStorage.setItem(LAST_TENANT, id);
  navigate(switchedPath(splitHash()[0], id));
}

async function signOut() {
  try { await api.post('/logout', {}); } catch { /* the session may be gone already */ }
  await refreshMe();
  navigate('/login');
}

async function render() {
  // A page with unsaved changes (its leave guard answers a question) may keep the user on it.
  if (state.leaveGuard && location.hash !== state.renderedHash) {
    const question = state.leaveGuard();
    if (question && !window.confirm(question)) { history.replaceState(null, '', state.renderedHash); return; }
  }
  state.leaveGuard = null;
  state.renderedHash = location.hash;
  const token = ++state.token;
  if (state.cleanup) { try { state.cleanup(); } catch { /* ignore */ } state.cleanup = null; }
  const main = document.getElementById('main');
  const [path, query] = splitHash();
  if (!state.me && path !== '/login') await refreshMe();
  if (path === '/' || path === '') {
    if (!state.me) return navigate('/login');
    return navigate(await homePath());
  }
  const found = match(path);
  if (!found) {
    await renderNav(null, null);
    replace(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/' }, 'Home')));
    return;
  }
  const { route, params } = found;
  if (!route.public && !state.me) return navigate('/login?next=' + encodeURIComponent(path));
  if (state.me && !allowed(route, state.me.principal.role)) {
    await renderNav(params.tenant, route);
    replace(main, h('h1', { tabindex: '-1' }, 'Not allowed'), h('p', {}, 'Your role may not open this page.'));
    return;
  }
  if (params.tenant && !state.me.principal.tenant_id) localStorage.setItem(LAST_TENANT, params.tenant);
  document.body.classList.toggle('signed-out', !state.me || route.public === true);
  if (route.public) { const nav = document.getElementById('nav'); replace(nav); nav.hidden = true; }
  else await renderNav(params.tenant, route);
  document.title = route.title + ' · Onramp';
  let mod;
  try {
    mod = await import(route.module);
  } catch (e) {
    if (token !== state.token) return;
    // After an upgrade this page's assets (under the old hash) are gone: load the new ones, once per new hash.
    const current = await currentAssetHash();
    if (current && current !== ASSET_HASH && sessionStorage.getItem('onramp.reloaded-for') !== current) {
      sessionStorage.setItem('onramp.reloaded-for', current);
      location.reload();
      return;
    }
    replace(main, h('h1', { tabindex: '-1' }, route.title), h('p', { class: 'empty' }, 'This page is not available yet.'));
    console.warn('page module failed to load', route.module, e);
    return;
  }
  if (token !== state.token) return;
  const root = h('div', { class: 'page' });
  replace(main, root);
  const guardLeave = (fn) => { if (token === state.token) state.leaveGuard = fn; };
  const ctx = { api, me: state.me, navigate, refreshMe, tenantPath, tenants: visibleTenants, guardLeave };
  try {
    const cleanup = await mod.render(root, { ...params, query }, ctx);
    if (token !== state.token) { if (typeof cleanup === 'function') cleanup(); return; }
    if (typeof cleanup === 'function') state.cleanup = cleanup;
  } catch (e) {
    if (token !== state.token) return;
    if (e && e.status === 401) return;
    root.appendChild(errorBox(e));
  }
  // The browser tests read this mark: the time from navigation start until a page's content is on screen.
  performance.mark('onramp:rendered', { detail: route.path });
  const heading = main.querySelector('h1');
  if (heading && !main.contains(document.activeElement)) heading.focus({ preventScroll: true });
}

window.addEventListener('onramp:signed-out', () => { state.me = null; state.tenants = null; });
window.addEventListener('hashchange', render);
window.addEventListener('beforeunload', (e) => {
  if (state.leaveGuard?.()) { e.preventDefault(); e.returnValue = ''; }
});
render();
