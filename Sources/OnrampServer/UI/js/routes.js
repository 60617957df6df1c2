// The route table: hash paths to page modules (paths relative to js/), loaded on first use.
// `public`: no sign-in needed. `roles`: who sees it (absent: everyone signed in). `nav`: its entry in the menu.

export const ADMINS = ['platform_admin', 'tenant_admin'];
export const BUILDERS = ['platform_admin', 'engineer'];

export const routes = [
  { path: '/login', module: './pages/login.js', title: 'Sign in', public: true },
  { path: '/account', module: './pages/account.js', title: 'My account' },
  { path: '/tenants', module: './pages/tenants.js', title: 'Tenants', roles: ['platform_admin'] },
  { path: '/t/:tenant/dashboard', module: './pages/dashboard.js', title: 'Dashboard', nav: 'Dashboard' },
  { path: '/t/:tenant/pipelines', module: './pages/pipelines.js', title: 'Pipelines', nav: 'Pipelines' },
  { path: '/t/:tenant/pipelines/:pipeline', module: './pages/pipeline.js', title: 'Pipeline' },
  { path: '/t/:tenant/runs', module: './pages/runs.js', title: 'Runs', nav: 'Runs' },
  { path: '/t/:tenant/runs/:run', module: './pages/run.js', title: 'Run' },
  { path: '/t/:tenant/errors', module: './pages/errors.js', title: 'Error queue', nav: 'Errors' },
  { path: '/t/:tenant/errors/:error', module: './pages/error.js', title: 'Failed record' },
  { path: '/t/:tenant/files', module: './pages/files.js', title: 'Files', nav: 'Files' },
  { path: '/t/:tenant/api-keys', module: './pages/apikeys.js', title: 'API keys', nav: 'API keys', roles: ADMINS },
  { path: '/t/:tenant/users', module: './pages/users.js', title: 'People', nav: 'People', roles: ADMINS },
  { path: '/t/:tenant/webhook', module: './pages/webhook.js', title: 'Webhook', nav: 'Webhook', roles: ADMINS },
  { path: '/t/:tenant/audit', module: './pages/audit.js', title: 'Audit log', nav: 'Audit log', roles: ADMINS },
  // The designer (helper D's modules).
  { path: '/t/:tenant/connections', module: './designer/connections.js', title: 'Connections', nav: 'Connections',
    roles: BUILDERS },
  { path: '/t/:tenant/connections/:name', module: './designer/connections.js', title: 'Connection', roles: BUILDERS },
  { path: '/t/:tenant/pipelines/:pipeline/design', module: './designer/canvas.js', title: 'Designer', roles: BUILDERS },
  { path: '/t/:tenant/design/new', module: './designer/canvas.js', title: 'New pipeline', nav: 'New pipeline',
    roles: BUILDERS },
  { path: '/t/:tenant/pipelines/:pipeline/versions', module: './designer/versions.js', title: 'Versions' },
  { path: '/onboard', module: './designer/wizard.js', title: 'Onboard a customer', roles: BUILDERS },
];

/** The route matching a hash path (without '#' and query) and its `:names`, or null. */
export function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      if (pattern[i].startsWith(':')) {
        try { params[pattern[i].slice(1)] = decodeURIComponent(parts[i]); } catch { ok = false; }
      } else if (pattern[i] !== parts[i]) ok = false;
    }
    if (ok) return { route, params };
  }
  return null;
}

/** Where the tenant switcher goes from `path`: the menu page of `tenant` that `path` is under, else its dashboard. */
export function switchedPath(path, tenant) {
  const parts = path.split('/').filter(Boolean);
  let best = null;
  for (const route of routes) {
    if (!route.nav || !route.path.startsWith('/t/:tenant/')) continue;
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length > parts.length || parts[0] !== 't') continue;
    if (!pattern.every((part, i) => i < 2 || part === parts[i])) continue;
    if (!best || pattern.length > best.length) best = pattern;
  }
  return `/t/${encodeURIComponent(tenant)}/${best ? best.slice(2).join('/') : 'dashboard'}`;
}

/** Whether a signed-in principal with `role` may open `route`. */
export function allowed(route, role) {
  return !route.roles || route.roles.includes(role);
}
