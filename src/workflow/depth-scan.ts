// The yaml package composes nested nodes recursively: a few thousand levels (`- - - …`, `[[[…`)
// exhaust the stack, and it reports that as a YAML error at whatever column the stack ran out
// (a different one on every run). This scan estimates the nesting from the text alone, linearly
// and without recursion, so that such text is refused before any parser sees it.

const SP = 32;
const TAB = 9;
const NL = 10;
const CR = 13;
const HASH = 35;

/**
 * The offset where the estimated nesting first passes `limit`, or undefined. The estimate counts
 * block indentation levels, `- ` and `? ` indicators opening a line, and open flow brackets; block
 * scalar bodies and quoted text are skipped. It may miss a level where a sequence sits at its key's
 * indent, so callers give it a limit well above the real one and keep the exact check after parsing.
 */
export function nestingPastLimit(text: string, limit: number): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let blockBody = -1; // indent of the line that opened a block scalar, while inside its body
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = i;
    while (i < n && (text.charCodeAt(i) === SP || text.charCodeAt(i) === TAB)) i++;
    const indent = i - start;
    const c = text.charCodeAt(i);
    const blank = i >= n || c === NL || c === CR || (c === HASH && flow === 0);
    if (blockBody >= 0 && (blank || indent > blockBody)) {
      i = lineEnd(text, i);
      i = afterBreak(text, i);
      continue;
    }
    blockBody = -1;
    if (blank) {
      i = afterBreak(text, lineEnd(text, i));
      continue;
    }
    if (flow === 0) {
      while (indents.length && indents[indents.length - 1]! > indent) indents.pop();
      if (indents[indents.length - 1] !== indent) indents.push(indent);
    }
    let depth = indents.length;
    if (depth + flow > limit) return i;
    // `- - - x` and `? ? x`: each indicator opens one more collection on this line.
    while (flow === 0 && (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 63) && isGap(text, i + 1)) {
      if (++depth > limit) return i;
      i++;
      while (text.charCodeAt(i) === SP || text.charCodeAt(i) === TAB) i++;
    }
    // The rest of the line: brackets count where a flow collection may start (at a value's start,
    // or inside one already); a block scalar header opens a body to skip.
    let valueStart = true;
    const end = lineEnd(text, i);
    while (i < end) {
      const ch = text.charCodeAt(i);
      if ((ch === 39 || ch === 34) && (valueStart || flow > 0)) {
        i = quoteEnd(text, i, end);
        valueStart = false;
        continue;
      }
      if (ch === HASH && (i === 0 || isSpace(text.charCodeAt(i - 1)))) break;
      if ((ch === 91 || ch === 123) && (valueStart || flow > 0)) {
        if (depth + ++flow > limit) return i;
      } else if ((ch === 93 || ch === 125) && flow > 0) flow--;
      else if ((ch === 124 || ch === 62) && valueStart && flow === 0 && isBlockHeader(text, i + 1, end))
        blockBody = indent;
      if (ch === 58 && isGap(text, i + 1)) valueStart = true;
      else if (ch === 44 && flow > 0) valueStart = true;
      else if (!isSpace(ch)) valueStart = false;
      i++;
    }
    i = afterBreak(text, end);
  }
  return undefined;
}

function isSpace(c: number): boolean {
  return c === SP || c === TAB;
}

/** A space, a line break or the end of the text after an indicator. */
function isGap(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const c = text.charCodeAt(i);
  return c === SP || c === TAB || c === NL || c === CR;
}

/** The offset of the line break (\n, \r\n or a lone \r) ending the line at `i`, or the text's end. */
function lineEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === NL || c === CR) return i;
    i++;
  }
  return n;
}

function afterBreak(text: string, i: number): number {
  if (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === NL) return i + 2;
  return i + 1;
}

/** Past the closing quote on this line (or the line's end: a quote running on is not followed). */
function quoteEnd(text: string, i: number, end: number): number {
  const q = text.charCodeAt(i);
  for (let j = i + 1; j < end; j++) {
    const c = text.charCodeAt(j);
    if (q === 34 && c === 92) j++;
    else if (c === q) {
      if (q === 39 && text.charCodeAt(j + 1) === 39) j++;
      else return j + 1;
    }
  }
  return end;
}

/** After `|` or `>`: chomping and indentation indicators, then nothing but spaces or a comment. */
function isBlockHeader(text: string, i: number, end: number): boolean {
  while (i < end && /[-+0-9]/.test(text[i]!)) i++;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i >= end || text.charCodeAt(i) === HASH;
}
