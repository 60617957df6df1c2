// Pure helpers of the onboarding wizard: where a template's `${param:…}` blanks and `${secret:…}` references sit
// in its source and destination configs, so the connection forms can fill the parameters.

const PARAM = /^\$\{param:([A-Za-z0-9_.-]+)\}$/;
const SECRET = /^\$\{secret:([A-Za-z0-9_.-]+)\}$/;
const ANY_PLACEHOLDER = /\$\{(param|env):/;

function walk(value, path, visit) {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, visit);
  else visit(value, path);
}

/** The config fields whose whole value matches `pattern`, with what its first group captured. */
function fieldsMatching(config, pattern) {
  const out = {};
  walk(config, 'config', (v, p) => {
    const m = typeof v === 'string' ? pattern.exec(v) : null;
    if (m) out[p] = m[1];
  });
  return out;
}

/** `{"config.path": "files"}`: the config fields whose whole value is one `${param:NAME}` blank. */
export const paramFields = (config) => fieldsMatching(config, PARAM);

/** `{"config.api_key": "TAXMAN_API_KEY"}`: the config fields holding one `${secret:NAME}`. */
export const secretFields = (config) => fieldsMatching(config, SECRET);

/** The template's config with blanks (and text holding a blank) left out: what a connection form starts with. */
export function startingConfig(config) {
  if (Array.isArray(config)) return config.map(startingConfig);
  if (config && typeof config === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(config)) {
      if (typeof v === 'string' && ANY_PLACEHOLDER.test(v)) continue;
      out[k] = startingConfig(v);
    }
    return out;
  }
  return config;
}

/** The value at a `config.a.b[0]` path of `{config}`. */
export function valueAt(root, path) {
  let v = root;
  for (const part of path.match(/[^.[\]]+/g) || []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[/^\d+$/.test(part) ? Number(part) : part];
  }
  return v;
}

/** The parameters a saved connection's config fills: for each blank field, the text the form gave it. */
export function parametersFrom(templateConfig, savedConfig) {
  const out = {};
  for (const [path, name] of Object.entries(paramFields(templateConfig))) {
    const v = valueAt({ config: savedConfig }, path);
    if (v !== undefined && v !== null && v !== '' && typeof v !== 'object') out[name] = String(v);
  }
  return out;
}

export const CRON_PRESETS = [
  { label: 'Every hour', cron: '0 * * * *' },
  { label: 'Daily at 06:00', cron: '0 6 * * *' },
  { label: 'Weekdays at 06:00', cron: '0 6 * * mon-fri' },
  { label: 'Monthly on the 1st at 06:00', cron: '0 6 1 * *' },
];

/** Whether a run state is final. */
export const isTerminal = (state) => ['succeeded', 'succeeded_with_errors', 'failed', 'cancelled'].includes(state);
