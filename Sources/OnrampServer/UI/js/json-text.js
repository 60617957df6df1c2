// JSON as text, for values edited by hand: numbers stay the digits they were sent as (JSON.parse would round an
// integer past 2^53 or a long decimal; money is decimal), so an edited record goes back exactly as typed.

/** The raw text of top-level member `key` of the JSON object `text`, or null. */
export function memberText(text, key) {
  let i = skip(text, 0);
  if (text[i] !== '{') return null;
  i = skip(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, keyEnd));
    i = skip(text, keyEnd);
    if (text[i] !== ':') return null;
    const start = skip(text, i + 1);
    const end = valueEnd(text, start);
    if (name === key) return text.slice(start, end);
    i = skip(text, end);
    if (text[i] === ',') i = skip(text, i + 1);
  }
  return null;
}

/** `text` re-indented by `indent` spaces, every token (numbers included) copied as it is. Throws when not JSON. */
export function pretty(text, indent = 2) {
  JSON.parse(text);
  let out = '';
  let depth = 0;
  const pad = () => '\n' + ' '.repeat(depth * indent);
  for (let i = skip(text, 0); i < text.length; i = skip(text, i)) {
    const c = text[i];
    if (c === '"') { const e = stringEnd(text, i); out += text.slice(i, e); i = e; continue; }
    i += 1;
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      const next = skip(text, i);
      if (text[next] === close) { out += c + close; i = next + 1; continue; }
      depth += 1; out += c + pad();
    } else if (c === '}' || c === ']') { depth -= 1; out += pad() + c; }
    else if (c === ',') out += ',' + pad();
    else if (c === ':') out += ': ';
    else { let e = i; while (e < text.length && !' \t\r\n,:]}'.includes(text[e])) e += 1; out += c + text.slice(i, e); i = e; }
  }
  return out;
}

/** `text` without insignificant whitespace (for telling whether two texts hold the same JSON as written). */
export function compact(text) { return pretty(text, 0).replace(/\n/g, ''); }

function skip(text, i) { while (i < text.length && ' \t\r\n'.includes(text[i])) i += 1; return i; }

function stringEnd(text, i) {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j += 1;
    else if (text[j] === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

function valueEnd(text, i) {
  if (text[i] === '"') return stringEnd(text, i);
  if (text[i] === '{' || text[i] === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') { j = stringEnd(text, j) - 1; continue; }
      if (c === '{' || c === '[') depth += 1;
      else if ((c === '}' || c === ']') && --depth === 0) return j + 1;
    }
    throw new SyntaxError('unterminated value');
  }
  let j = i;
  while (j < text.length && !' \t\r\n,]}'.includes(text[j])) j += 1;
  return j;
}
