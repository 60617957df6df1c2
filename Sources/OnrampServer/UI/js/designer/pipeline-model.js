// The canvas's model is the pipeline document itself (docs/pipeline-reference.md). These pure functions read
// its chain of nodes and return changed copies; the canvas and the Source tab both edit the same document.
import { fieldUnder } from './schema-model.js';

/** A new pipeline: no source or destination yet (the canvas asks for them). */
export function blankDocument(name = 'new-pipeline') {
  return { version: 1, name, steps: [] };
}

/** A step's type: its one key besides `name`. */
export function stepType(step) {
  if (!step || typeof step !== 'object' || Array.isArray(step)) return null;
  return Object.keys(step).find((k) => k !== 'name') ?? null;
}

/** The form path of a node's config: `source.config`, `steps[2].group`, `destination.config`. */
export function configPath(node) {
  if (node.kind === 'step') return `steps[${node.index}].${node.type}`;
  return `${node.kind}.config`;
}

/** The nodes of the chain: source, each step, destination (a route step carries its branch). */
export function nodesOf(doc) {
  const nodes = [];
  const side = (kind) => {
    const ref = doc?.[kind];
    if (!ref || typeof ref !== 'object') return { id: kind, kind, path: kind, empty: true, label: `No ${kind}` };
    const label = ref.connection ? `connection ${ref.connection}` : String(ref.connector ?? '?');
    return { id: kind, kind, path: kind, connector: ref.connector ?? null, connection: ref.connection ?? null, label };
  };
  nodes.push(side('source'));
  (Array.isArray(doc?.steps) ? doc.steps : []).forEach((step, index) => {
    const type = stepType(step);
    const node = { id: `steps[${index}]`, kind: 'step', index, type, path: `steps[${index}]`,
      name: typeof step?.name === 'string' ? step.name : null, label: step?.name || type || '?' };
    if (type === 'route') {
      const r = step.route || {};
      node.branch = r.destination ? `to ${r.destination.connector ?? r.destination.connection ?? '?'}`
        : r.code ? `to errors as ${r.code}` : 'to ?';
    }
    nodes.push(node);
  });
  nodes.push(side('destination'));
  return nodes;
}

/** A field path without the document's name before it: `pipeline: source.config.path` -> `source.config.path`. */
export function fieldPathOf(location) {
  if (typeof location !== 'string') return location ?? null;
  const at = location.indexOf(': ');
  return at >= 0 ? location.slice(at + 2) : location;
}

/** Which node an API problem's field belongs to: `steps[2].map` -> `steps[2]`, else `pipeline`. */
export function nodeIdForField(location) {
  const field = fieldPathOf(location);
  if (typeof field !== 'string') return 'pipeline';
  const m = /^steps\[(\d+)\]/.exec(field);
  if (m) return `steps[${m[1]}]`;
  for (const k of ['source', 'destination']) if (fieldUnder(field, k)) return k;
  return 'pipeline';
}

/** The key under which a preview answer holds the records leaving step `index` (its errors' `step`): the step's
 * `name`, else `steps[i].<type>`. */
export function previewKey(doc, index) {
  const step = doc?.steps?.[index];
  return typeof step?.name === 'string' && step.name ? step.name : `steps[${index}].${stepType(step)}`;
}

/** The records entering and leaving a node, from a preview answer; errors are the node's own. */
export function recordsAt(doc, preview, node) {
  if (!preview) return { entering: [], leaving: [], routed: [], errors: [] };
  const all = Array.isArray(preview.errors) ? preview.errors : [];
  const steps = Array.isArray(doc?.steps) ? doc.steps : [];
  const after = (i) => (i < 0 ? preview.source : preview[previewKey(doc, i)]) || [];
  if (node.kind === 'source') {
    return { entering: [], leaving: after(-1), routed: [], errors: all.filter((e) => e.stage === 'extract') };
  }
  if (node.kind === 'destination') {
    const answers = preview.dry_run?.answers || [];
    return { entering: after(steps.length - 1), leaving: answers, routed: [],
      errors: answers.filter((a) => a.error).map((a) => ({ ...a.error, stage: 'load', at: a.at })) };
  }
  const label = previewKey(doc, node.index);
  return { entering: after(node.index - 1), leaving: after(node.index), routed: preview[`${label} routed`] || [],
    errors: all.filter((e) => e.step === label) };
}

/** A step's starting config from its schema: an expression that keeps the record, required keys blank. */
export function defaultStepConfig(type, schema) {
  if (schema?.type === 'string') return type === 'filter' ? 'true' : '$';
  const out = {};
  for (const key of schema?.required || []) {
    const p = schema.properties?.[key] || {};
    if ('default' in p) out[key] = p.default;
    else if (p.type === 'array') out[key] = [];
    else if (p.type === 'object') out[key] = {};
    else if (p.format === 'jsonata') out[key] = 'true';
    else out[key] = '';
  }
  return out;
}

const copy = (doc) => structuredClone(doc ?? blankDocument());

/** Inserts a step of `type` at `at` (end when omitted). */
export function addStep(doc, type, schema, at) {
  const next = copy(doc);
  if (!Array.isArray(next.steps)) next.steps = [];
  const index = at === undefined ? next.steps.length : Math.max(0, Math.min(at, next.steps.length));
  next.steps.splice(index, 0, { [type]: defaultStepConfig(type, schema) });
  return next;
}

export function removeStep(doc, index) {
  const next = copy(doc);
  next.steps.splice(index, 1);
  return next;
}

/** Moves step `from` to position `to` (the index it has afterwards). */
export function moveStep(doc, from, to) {
  const next = copy(doc);
  const steps = next.steps || [];
  if (from < 0 || from >= steps.length) return next;
  const [step] = steps.splice(from, 1);
  steps.splice(Math.max(0, Math.min(to, steps.length)), 0, step);
  return next;
}

/** Sets the source or destination to a connector (its config from `config`, default empty). */
export function setSide(doc, kind, connector, config = {}) {
  const next = copy(doc);
  next[kind] = { connector, config };
  return next;
}

/** Sets the source or destination to a tenant's connection (a source keeps its `incremental`). */
export function setSideConnection(doc, kind, connection) {
  const next = copy(doc);
  const incremental = kind === 'source' ? next.source?.incremental : undefined;
  next[kind] = incremental ? { connection, incremental } : { connection };
  return next;
}

export function removeSide(doc, kind) {
  const next = copy(doc);
  delete next[kind];
  return next;
}

/** A node's config value (a step's config, a side's `config`). */
export function nodeConfig(doc, node) {
  if (node.kind === 'step') return doc?.steps?.[node.index]?.[node.type];
  return doc?.[node.kind]?.config;
}

/** A copy of the document with the node's config replaced (and a step's `name`, when given). */
export function withNodeConfig(doc, node, config, name) {
  const next = copy(doc);
  if (node.kind === 'step') {
    const step = next.steps[node.index];
    step[node.type] = config;
    if (name !== undefined) {
      if (name) step.name = name;
      else delete step.name;
    }
  } else if (next[node.kind]) {
    next[node.kind].config = config;
  }
  return next;
}

/** A copy with the source's `incremental` set (removed when empty: a full load every run). */
export function withIncremental(doc, incremental) {
  const next = copy(doc);
  if (!next.source) return next;
  const set = incremental && typeof incremental === 'object' && Object.keys(incremental).length;
  if (set) next.source.incremental = incremental;
  else delete next.source.incremental;
  return next;
}

/** Parses the Source tab's text: a JSON object, or an error with its message. */
export function parseDocument(text) {
  try {
    const doc = JSON.parse(text);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { error: 'the document must be a JSON object' };
    return { doc };
  } catch (e) {
    return { error: e.message };
  }
}
