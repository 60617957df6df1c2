// Fetch wrappers over /api/v1: JSON in and out, the session's CSRF token on writes, errors as ApiError.

const BASE = '/api/v1';
const CSRF_KEY = 'onramp.csrf';

/** An API error: the HTTP status and the envelope's code, message and field. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'http_' + status;
    this.field = field || null;
  }
}

export function setCsrfToken(token) {
  if (token) sessionStorage.setItem(CSRF_KEY, token); else sessionStorage.removeItem(CSRF_KEY);
}

function withQuery(path, query) {
  const url = BASE + path;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? url + (url.includes('?') ? '&' : '?') + s : url;
}

async function parseError(response) {
  let code; let message; let field;
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message, field } = body.error);
  } catch { /* not JSON */ }
  return new ApiError(response.status, code, message || response.statusText, field);
}

async function request(method, path, { body, query, contentType, raw } = {}) {
  const headers = {};
  let payload;
  if (body !== undefined) {
    if (contentType) {
      headers['Content-Type'] = contentType;
      payload = body;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = sessionStorage.getItem(CSRF_KEY);
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let response;
  try {
    response = await fetch(withQuery(path, query), { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', 'the server could not be reached: ' + e.message);
  }
  if (!response.ok) {
    const error = await parseError(response);
    if (response.status === 401 && path !== '/login' && path !== '/me') {
      setCsrfToken(null);
      window.dispatchEvent(new CustomEvent('onramp:signed-out'));
      if (!location.hash.startsWith('#/login')) {
        location.hash = '#/login?next=' + encodeURIComponent(location.hash.slice(1) || '/');
      }
    }
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const api = {
  get: (path, { query, raw } = {}) => request('GET', path, { query, raw }),
  post: (path, body, { query } = {}) => request('POST', path, { body: body ?? {}, query }),
  put: (path, body, { contentType, query } = {}) => request('PUT', path, { body, contentType, query }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
  /** The absolute URL of an API path (downloads, EventSource); query values are encoded. */
  url: (path, query) => withQuery(path, query),
};

/** `/tenants/<t>` with the tenant id encoded. */
export function tenantPath(tenant, rest = '') {
  return '/tenants/' + encodeURIComponent(tenant) + rest;
}
