// Small helpers the designer's pages share: the connector catalog (fetched once), path segments, API errors.

let catalogPromise = null;

/** `GET /connectors` once per page load: `{sources, destinations, steps, byKey}` (plugins included). */
export function loadCatalog(api) {
  if (!catalogPromise) {
    catalogPromise = api.get('/connectors').then((answer) => {
      const all = Array.isArray(answer?.connectors) ? answer.connectors : [];
      const byKey = new Map(all.map((c) => [`${c.kind}:${c.name}`, c]));
      return {
        all, byKey,
        sources: all.filter((c) => c.kind === 'source'),
        destinations: all.filter((c) => c.kind === 'destination'),
        steps: all.filter((c) => c.kind === 'step'),
        schema: (kind, name) => byKey.get(`${kind}:${name}`)?.config_schema || { type: 'object' },
      };
    }).catch((e) => {
      catalogPromise = null;
      throw e;
    });
  }
  return catalogPromise;
}

/** A path segment, percent-encoded. */
export const seg = (s) => encodeURIComponent(String(s));

/** The tenant's API path: `/tenants/acme/...`. */
export const tenantPath = (tenant, rest = '') => `/tenants/${seg(tenant)}${rest}`;

/** An API error as the `{field, message}` list a form shows. */
export function fieldErrors(err) {
  if (!err) return [];
  return [{ field: err.field || null, code: err.code, message: err.message || String(err) }];
}

/** Goes to a hash route through the shell when it offers a navigate function. */
export function go(ctx, hash) {
  if (typeof ctx?.navigate === 'function') ctx.navigate(hash.replace(/^#/, ''));
  else location.hash = hash;
}

/** Calls `fn` once `ms` after the last call; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = null;
  const d = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}
