// Pure helpers of "Save as template": the values of a pipeline that can become `${param:NAME}` blanks, and the
// document with the chosen ones replaced.

const MAX_CANDIDATES = 100;

/** A parameter name from a field path: `source.config.path` -> `path`, `steps[0].cast.fields.qty` -> `qty`. */
export function paramNameFor(path) {
  const last = path.split(/[.[\]]+/).filter(Boolean).pop() || 'value';
  return last.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'value';
}

/** The text and number values of the source's, the destination's and the steps' configs, as `{path, value}`. */
export function blankCandidates(doc) {
  const out = [];
  const walk = (v, path) => {
    if (out.length >= MAX_CANDIDATES) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    else if ((typeof v === 'string' && v !== '' && !v.includes('${')) || typeof v === 'number') {
      out.push({ path, value: v });
    }
  };
  for (const side of ['source', 'destination']) if (doc?.[side]?.config) walk(doc[side].config, `${side}.config`);
  (Array.isArray(doc?.steps) ? doc.steps : []).forEach((step, i) => {
    for (const [k, v] of Object.entries(step || {})) if (k !== 'name') walk(v, `steps[${i}].${k}`);
  });
  return out;
}

/** A copy of `doc` with each chosen `{path, name}` replaced by `${param:name}`. */
export function withBlanks(doc, choices) {
  const copy = structuredClone(doc);
  for (const { path, name } of choices) {
    const parts = path.match(/[^.[\]]+/g) || [];
    let holder = copy;
    const keys = parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    // Own keys only: a document's key named __proto__ or constructor must not reach a prototype.
    for (const key of keys.slice(0, -1)) {
      holder = holder && typeof holder === 'object' && Object.hasOwn(holder, key) ? holder[key] : null;
    }
    const key = keys[keys.length - 1];
    if (holder && typeof holder === 'object' && Object.hasOwn(holder, key)) holder[key] = `\${param:${name}}`;
  }
  return copy;
}
