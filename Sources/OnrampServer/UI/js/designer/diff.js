// A line diff by longest common subsequence, for comparing pipeline versions (pretty-printed JSON).

/** A stable pretty JSON text: object keys sorted, two-space indent, so versions diff by content. */
export function prettyJSON(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

/**
 * The lines of `a` and `b` as `{op: ' '|'-'|'+', text, a?, b?}` (line numbers from 1). Common prefix and suffix
 * are matched first; the LCS table covers the rest, at most `maxCells` cells (else the middle is all -/+).
 */
export function lineDiff(aText, bText, maxCells = 4_000_000) {
  const a = aText.split('\n');
  const b = bText.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const out = [];
  for (let i = 0; i < start; i++) out.push({ op: ' ', text: a[i], a: i + 1, b: i + 1 });
  const n = endA - start;
  const m = endB - start;
  if (n * m > maxCells) {
    for (let i = start; i < endA; i++) out.push({ op: '-', text: a[i], a: i + 1 });
    for (let j = start; j < endB; j++) out.push({ op: '+', text: b[j], b: j + 1 });
  } else {
    // lcs[i][j]: LCS length of a[start+i..endA) and b[start+j..endB), in one flat array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = a[start + i] === b[start + j]
          ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        out.push({ op: ' ', text: a[start + i], a: start + i + 1, b: start + j + 1 });
        i++; j++;
      } else if (j < m && (i === n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) {
        out.push({ op: '+', text: b[start + j], b: start + j + 1 });
        j++;
      } else {
        out.push({ op: '-', text: a[start + i], a: start + i + 1 });
        i++;
      }
    }
  }
  for (let k = 0; k < a.length - endA; k++) {
    out.push({ op: ' ', text: a[endA + k], a: endA + k + 1, b: endB + k + 1 });
  }
  return out;
}

/** Counts of added and removed lines. */
export function diffStats(lines) {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.op === '+') added++;
    else if (l.op === '-') removed++;
  }
  return { added, removed };
}
