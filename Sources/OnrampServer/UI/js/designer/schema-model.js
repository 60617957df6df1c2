// Pure JSON Schema helpers for the designer's forms (no DOM): what kind of input a schema wants, its default,
// whether it is secret, and field paths in the API's notation (`config.path`, `steps[2].map`, `lines[0].qty`).

/** Whether a field's schema marks it secret, as the server decides (JSONSchema.isSecret). */
export function isSecret(schema) {
  return !!schema && (schema['x-secret'] === true || schema.format === 'password' || schema.airbyte_secret === true);
}

/** The schema's first non-null type ("string", "object", ...), or a guess from its shape. */
export function schemaType(schema) {
  if (!schema || typeof schema !== 'object') return 'any';
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (t) return t;
  if (schema.properties || schema.additionalProperties) return 'object';
  if (schema.items) return 'array';
  if (Array.isArray(schema.enum)) return 'string';
  return 'any';
}

/** The input a form shows for a schema. */
export function fieldKind(schema) {
  const t = schemaType(schema);
  if (Array.isArray(schema?.enum)) return 'enum';
  if (t === 'string' && isSecret(schema)) return 'secret';
  if (t === 'string' && schema.format === 'jsonata') return 'jsonata';
  if (t === 'object' && schema.properties) return 'object';
  if (t === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object') return 'map';
  if (t === 'object') return 'json';
  if (['string', 'number', 'integer', 'boolean', 'array'].includes(t)) return t;
  return 'json';
}

/** The property schemas of an object schema, `oneOf`/`anyOf`/`allOf` branches merged (first one wins). */
export function properties(schema) {
  const out = { ...(schema?.properties || {}) };
  for (const c of ['allOf', 'oneOf', 'anyOf']) {
    for (const branch of schema?.[c] || []) {
      for (const [k, v] of Object.entries(branch?.properties || {})) if (!(k in out)) out[k] = v;
    }
  }
  return out;
}

export function requiredKeys(schema) {
  return new Set(Array.isArray(schema?.required) ? schema.required : []);
}

/** The label of a field: its `title`, else its key. */
export function labelFor(key, schema) {
  return (typeof schema?.title === 'string' && schema.title) || String(key);
}

/** An example as placeholder text. */
export function placeholderFor(schema) {
  const ex = Array.isArray(schema?.examples) ? schema.examples[0] : schema?.example;
  if (ex === undefined || ex === null) return '';
  return typeof ex === 'string' ? ex : JSON.stringify(ex);
}

/** `config` + `path` -> `config.path`; `steps` + 2 -> `steps[2]`. */
export function joinPath(base, key) {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!base) return String(key);
  return `${base}.${key}`;
}

/** Whether an error's field (`config.credentials.token`) is at or under `path` (`config.credentials`). */
export function fieldUnder(field, path) {
  if (!field || !path) return false;
  if (field === path) return true;
  return field.startsWith(path) && (field[path.length] === '.' || field[path.length] === '[');
}

/** The value a form starts with for a field that has none. */
export function initialValue(schema) {
  if (schema && 'default' in schema) return structuredClone(schema.default);
  return undefined;
}

/** Text typed into a number field as the value to send: a number, text kept as is (`${param:port}`), or undefined. */
export function numberFromInput(text, integer) {
  const t = String(text).trim();
  if (t === '') return undefined;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n) && (!integer || Number.isInteger(n))) return n;
  }
  return t;
}

/** A `${secret:NAME}` reference's name, or null. */
export function secretReference(value) {
  const m = typeof value === 'string' ? /^\$\{secret:([A-Za-z0-9_.-]+)\}$/.exec(value) : null;
  return m ? m[1] : null;
}

/** The secret name a typed value is stored under: `ACME_ERP_PASSWORD` for connection acme-erp, field password. */
export function secretName(owner, path) {
  const raw = `${owner || 'secret'}_${path.replace(/^(?:source\.|destination\.)?config\./, '')}`;
  return raw.toUpperCase().replace(/[^A-Z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '').slice(0, 64);
}

const own = (o, k) => (o && typeof o === 'object' && Object.hasOwn(o, k) ? o[k] : undefined);
const propertyOf = (schema, key) => own(own(schema, 'properties'), key)
  ?? (typeof own(schema, 'additionalProperties') === 'object' ? schema.additionalProperties : undefined);

/**
 * The origins a secret in `config` may be sent to (`scheme://host[:port]`): the fields its `schema` marks `x-origin`,
 * a URL or a template such as `postgres://{host}:{port}` filled from sibling fields, as the server checks them
 * (SecretOrigin.fields). Keys the schema does not declare name no origin.
 */
export function originsOf(schema, config) {
  const out = new Set();
  const addURL = (text) => {
    try {
      const u = new URL(text);
      if (u.protocol === 'http:' || u.protocol === 'https:') out.add(u.origin);
    } catch { /* not a URL yet */ }
  };
  const visit = (value, s) => {
    if (Array.isArray(value)) {
      const items = own(s, 'items');
      for (const v of value) {
        if (own(items, 'x-origin') === true && typeof v === 'string') addURL(v);
        else visit(v, items);
      }
    } else if (value && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        const p = propertyOf(s, key);
        const mark = own(p, 'x-origin');
        if (mark === true && typeof value[key] === 'string') addURL(value[key]);
        else if (typeof mark === 'string') { const o = filledOrigin(mark, value, s); if (o) out.add(o); }
        else if (p) visit(value[key], p);
      }
    }
  };
  visit(config, schema);
  return [...out].slice(0, 16);
}

/** A template origin filled from sibling fields (their schema default when absent); null when a part is missing. */
function filledOrigin(template, siblings, schema) {
  let clean = true;
  const text = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name) => {
    const v = Object.hasOwn(siblings, name) ? siblings[name] : own(propertyOf(schema, name), 'default');
    const part = typeof v === 'string' || typeof v === 'number' ? String(v) : '';
    if (!part || /[@/?#\\[\]{}%$ ]/.test(part)) clean = false;
    return part;
  });
  return clean ? text.toLowerCase() : null;
}

/** Drops undefined, empty strings and empty objects from a value the form read, so defaults stay the server's. */
export function prune(value) {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : prune(v)));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v);
      if (p === undefined || p === '') continue;
      if (p && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return value;
}
