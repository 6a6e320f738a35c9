// A fast reader for the plain block YAML that workflows are written in. It builds the `yaml`
// package's own nodes (maps, sequences, pairs, scalars with the same values, styles, source tokens
// and ranges) so GitHub's reader and our rules cannot tell the difference, at several times the
// speed. Anything outside its subset (anchors, tags, documents after the first, multi-line quoted
// text, comments inside flow collections, tabs, CR, explicit keys, odd numbers, anything the
// package would call an error) makes it give up and the caller parses with the package.
// fast-yaml.test.ts holds it to the package on every workflow we have and on mutations of them.

import { Document, LineCounter, parseDocument, Scalar, YAMLMap, YAMLParseError, YAMLSeq } from "yaml";
import { nestingPastLimit } from "./depth-scan.js";
import { newPair, newScalar } from "./fast-yaml-nodes.js";
import { OUTSIDE, resolvePlain, unescapeDouble } from "./fast-yaml-scalars.js";

export interface FastParsed {
  doc: Document.Parsed;
  lines: LineCounter;
}

type Node = Scalar | YAMLMap | YAMLSeq;
type Range = [number, number, number];

// Documents built here, with their size: they hold no anchors, aliases or tags, so checks for
// those can skip them, and their node count and depth need no second walk.
const built = new WeakMap<object, PlainShape>();

/** Nodes (scalars and collections, keys included) and the deepest nesting of collections. */
export interface PlainShape {
  nodes: number;
  depth: number;
}

/** Was `doc` built by the fast reader (and so holds no anchors, aliases or tags)? */
export function isPlainDoc(doc: object): boolean {
  return built.has(doc);
}

/** The size of a document the fast reader built. */
export function plainShape(doc: object): PlainShape | undefined {
  return built.get(doc);
}

/** Thrown (and caught below) where the text leaves the subset. */
const GIVE_UP = new Error("outside the fast subset");

// A pending run of comment lines after a collection's last item: the package keeps it in the
// innermost collection that has a comment at or past its indent, else passes it up.
interface Trail {
  indents: number[];
  end: number;
}

interface Result {
  node: Node;
  /** The line of the next content after this node, or -1 at the end of the text. */
  next: number;
  trail?: Trail;
}

const SP = 32;
const NL = 10;
const HASH = 35;
const COLON = 58;
const DASH = 45;

// Characters a plain scalar cannot start with (its indicators), by code.
const INDICATOR = new Set([..."-?:,[]{}#&*!|>'\"%@`"].map((c) => c.charCodeAt(0)));

/**
 * A workflow's text as the yaml package parses it for GitHub's reader (source tokens kept, duplicate
 * keys left to the template reader): by the fast reader when it can, else by the package.
 */
export function parseYaml(text: string): FastParsed {
  return fastParse(text) ?? packageParse(text);
}

/**
 * Nesting the scan before a parse lets through: twice GitHub's limit of 50 (the exact check runs on
 * the parsed document), far below the few thousand levels that exhaust the package's stack.
 */
export const PARSER_NESTING_GUARD = 100;

export const TOO_DEEP = "Maximum object depth exceeded";

/** The yaml package's parse with the options GitHub's reader uses. */
export function packageParse(text: string): FastParsed {
  const lines = new LineCounter();
  const deep = nestingPastLimit(text, PARSER_NESTING_GUARD);
  if (deep !== undefined) {
    // Refused before the package recurses: a document holding only the error, at its place.
    lines.addNewLine(0);
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
    const doc = new Document(undefined, { uniqueKeys: false, keepSourceTokens: true, prettyErrors: false });
    doc.errors.push(new YAMLParseError([deep, deep + 1], "RESOURCE_EXHAUSTION", TOO_DEEP));
    return { doc: doc as Document.Parsed, lines };
  }
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: false,
    keepSourceTokens: true,
    prettyErrors: false,
  });
  return { doc, lines };
}

export function fastParse(text: string): FastParsed | undefined {
  // Tabs, CR, BOM, control characters and the YAML 1.1 line breaks: the package's rules for them
  // are subtle, so they go to it.
  if (/[\x00-\x09\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(text)) return undefined;
  try {
    return new Reader(text).read();
  } catch (e) {
    // Nesting deep enough to exhaust the stack: the package says so as a YAML error.
    if (e === GIVE_UP || e === OUTSIDE || e instanceof RangeError) return undefined;
    throw e;
  }
}

class Reader {
  private readonly starts: number[] = [0];
  private nodes = 0;
  private level = 0;
  private deepest = 0;
  private readonly doc = new Document(undefined, {
    uniqueKeys: false,
    keepSourceTokens: true,
    prettyErrors: false,
  });

  constructor(private readonly t: string) {
    for (let i = t.indexOf("\n"); i !== -1; i = t.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  read(): FastParsed {
    let first = this.nextContent(0);
    // A `---` opening the only document (a comment may follow it).
    const marker =
      first < 0 ? undefined : /^---( +(#.*)?)?$/.exec(this.t.slice(this.starts[first], this.lineEnd(first)));
    if (marker) first = this.nextContent(first + 1);
    if (first < 0) throw GIVE_UP;
    for (let li = first; li < this.starts.length; li++) {
      const s = this.starts[li];
      const c = this.t.charCodeAt(s);
      // Directives and document markers.
      if (c === 37 || ((c === DASH || c === 46) && /^(---|\.\.\.)(\s|$)/.test(this.t.slice(s, s + 4))))
        throw GIVE_UP;
    }
    const root = this.blockNode(first, this.indent(first), -1);
    if (root.next !== -1 || !(root.node instanceof YAMLMap || root.node instanceof YAMLSeq)) throw GIVE_UP;
    const doc = this.doc;
    doc.contents = root.node;
    doc.range = [0, (root.node.range as Range)[2], this.t.length];
    const lines = new LineCounter();
    lines.lineStarts = this.starts;
    built.set(doc, { nodes: this.nodes, depth: this.deepest });
    return { doc: doc as Document.Parsed, lines };
  }

  // ---- lines

  private lineEnd(li: number): number {
    return li + 1 < this.starts.length ? this.starts[li + 1] - 1 : this.t.length;
  }

  /** The offset just past a line's newline (or the end of the text). */
  private afterLine(li: number): number {
    return li + 1 < this.starts.length ? this.starts[li + 1] : this.t.length;
  }

  private indent(li: number): number {
    const s = this.starts[li];
    let i = s;
    while (this.t.charCodeAt(i) === SP) i++;
    return i - s;
  }

  /** Blank or comment-only? */
  private isGap(li: number): boolean {
    const i = this.starts[li] + this.indent(li);
    return i >= this.lineEnd(li) || this.t.charCodeAt(i) === HASH;
  }

  private nextContent(li: number): number {
    for (; li < this.starts.length; li++) if (!this.isGap(li)) return li;
    return -1;
  }

  private isDash(at: number): boolean {
    if (this.t.charCodeAt(at) !== DASH) return false;
    const n = this.t.charCodeAt(at + 1);
    return n === SP || n === NL || Number.isNaN(n);
  }

  /** Skip spaces from `at`; the offset of the first other character. */
  private skipSpaces(at: number): number {
    while (this.t.charCodeAt(at) === SP) at++;
    return at;
  }

  /** At the end of the line (or a comment) after skipping spaces from `at`? */
  private restIsEmpty(at: number, li: number): boolean {
    const i = this.skipSpaces(at);
    if (i >= this.lineEnd(li)) return true;
    return this.t.charCodeAt(i) === HASH && (i === at ? this.t.charCodeAt(i - 1) === SP : true);
  }

  // ---- block nodes

  /** A node whose first character is the first content of line `li` (column `col`). */
  private blockNode(li: number, col: number, parentIndent: number): Result {
    const at = this.starts[li] + col;
    if (this.isDash(at)) return this.blockSeq(li, col);
    if (this.keyEnd(at, li) !== undefined) return this.blockMap(li, col);
    return this.leafOnLine(li, at, parentIndent);
  }

  /** A leaf (scalar, flow collection, block scalar) and the gap of lines after it. */
  private leafOnLine(li: number, at: number, parentIndent: number): Result {
    const { node, last } = this.leaf(li, at, parentIndent);
    return this.afterLeaf(
      node,
      last,
      parentIndent,
      !(node instanceof Scalar && node.type?.startsWith("BLOCK")),
    );
  }

  /**
   * Scans the blank and comment lines after a leaf that ended on line `last`, inside a collection
   * indented `indent`. Comment lines indented past the collection, before any other comment, belong
   * to the leaf (its range's end grows over them); the rest form a trail.
   */
  private afterLeaf(node: Node, last: number, indent: number, hasEnd: boolean): Result {
    let indents: number[] | undefined;
    for (let j = last + 1; j < this.starts.length; j++) {
      const ind = this.indent(j);
      const i = this.starts[j] + ind;
      if (i >= this.lineEnd(j)) continue;
      if (this.t.charCodeAt(i) !== HASH) {
        return { node, next: j, trail: indents && { indents, end: i } };
      }
      if (!indents && hasEnd && ind > indent) (node.range as Range)[2] = this.afterLine(j);
      else if (indents) indents.push(ind);
      else indents = [ind];
    }
    return { node, next: -1, trail: indents && { indents, end: this.t.length } };
  }

  /** Where a collection ends: it keeps the trail if a comment in it is indented at least as far. */
  private close(node: YAMLMap | YAMLSeq, start: number, offset: number, indent: number, r: Result): Result {
    const trail = r.trail;
    if (trail && indent !== 0 && trail.indents.some((i) => i >= indent)) {
      node.range = [start, offset, trail.end];
      return { node, next: r.next };
    }
    node.range = [start, offset, offset];
    return { node, next: r.next, trail };
  }

  /** Counts a collection and its nesting around `read`. */
  private nested<T>(read: () => T): T {
    this.nodes++;
    if (++this.level > this.deepest) {
      this.deepest = this.level;
      if (this.level > PARSER_NESTING_GUARD) throw GIVE_UP; // the package's path refuses it
    }
    const r = read();
    this.level--;
    return r;
  }

  private blockMap(li: number, col: number): Result {
    return this.nested(() => this.blockMapItems(li, col));
  }

  private blockMapItems(li: number, col: number): Result {
    const map = new YAMLMap(this.doc.schema);
    const start = this.starts[li] + col;
    for (;;) {
      const at = this.starts[li] + col;
      const colon = this.keyEnd(at, li);
      if (colon === undefined) throw GIVE_UP;
      const key = this.key(at, colon, col);
      const r = this.mapValue(li, colon, col);
      map.items.push(newPair(key, r.node));
      const offset = (r.node.range as Range)[2];
      if (r.next < 0 || this.indent(r.next) < col) return this.close(map, start, offset, col, r);
      if (this.indent(r.next) > col || this.isDash(this.starts[r.next] + col)) throw GIVE_UP;
      li = r.next;
    }
  }

  private mapValue(li: number, colon: number, col: number): Result {
    const after = colon + 1;
    const at = this.skipSpaces(after);
    if (this.restIsEmpty(after, li)) {
      const next = this.nextContent(li + 1);
      if (next >= 0) {
        const ind = this.indent(next);
        if (ind > col) return this.blockNode(next, ind, col);
        if (ind === col && this.isDash(this.starts[next] + col)) return this.blockSeq(next, col);
      }
      return { node: this.empty(at, li, next), next };
    }
    if (this.keyEnd(at, li) !== undefined) throw GIVE_UP; // `a: b: c`
    const c = this.t.charCodeAt(at);
    if (c === DASH && this.isDash(at)) throw GIVE_UP;
    return this.leafOnLine(li, at, col);
  }

  private blockSeq(li: number, col: number): Result {
    return this.nested(() => this.blockSeqItems(li, col));
  }

  private blockSeqItems(li: number, col: number): Result {
    const seq = new YAMLSeq(this.doc.schema);
    const start = this.starts[li] + col;
    for (;;) {
      const dash = this.starts[li] + col;
      let r: Result;
      const at = this.skipSpaces(dash + 1);
      if (this.restIsEmpty(dash + 1, li)) {
        const next = this.nextContent(li + 1);
        if (next >= 0 && this.indent(next) > col) r = this.blockNode(next, this.indent(next), col);
        else r = { node: this.empty(at, li, next), next };
      } else {
        const c2 = at - this.starts[li];
        if (this.isDash(at)) r = this.blockSeq(li, c2);
        else if (this.keyEnd(at, li) !== undefined) r = this.blockMap(li, c2);
        else r = this.leafOnLine(li, at, col);
      }
      seq.items.push(r.node);
      const offset = (r.node.range as Range)[2];
      const next = r.next;
      if (next < 0 || this.indent(next) < col || !this.isDash(this.starts[next] + col)) {
        if (next >= 0 && this.indent(next) > col) throw GIVE_UP;
        return this.close(seq, start, offset, col, r);
      }
      li = next;
    }
  }

  /**
   * An empty value at `at` on line `li`. The package keeps the lines up to the next content (line
   * `next`) with it; when a comment is among them its range runs to that content.
   */
  private empty(at: number, li: number, next: number): Scalar {
    let end = at;
    const stop = next < 0 ? this.starts.length : next;
    for (let j = li; j < stop; j++) {
      const c = j === li ? this.skipSpaces(at) : this.starts[j] + this.indent(j);
      if (c < this.lineEnd(j) && this.t.charCodeAt(c) === HASH) {
        end = next < 0 ? this.t.length : this.starts[next] + this.indent(next);
        break;
      }
    }
    this.nodes++;
    const s = newScalar(null);
    s.range = [at, at, end];
    s.source = "";
    s.type = Scalar.PLAIN;
    return s;
  }

  // ---- keys

  /** If a block key starts at `at`, the offset of its `:`. */
  private keyEnd(at: number, li: number): number | undefined {
    const t = this.t;
    const end = this.lineEnd(li);
    const c = t.charCodeAt(at);
    let i = at;
    if (c === 34 || c === 39) {
      const close = this.quoteEnd(at, li);
      if (close === undefined) return undefined;
      i = this.skipSpaces(close);
      return t.charCodeAt(i) === COLON && (i + 1 >= end || t.charCodeAt(i + 1) === SP) ? i : undefined;
    }
    if (INDICATOR.has(c) && !(c === DASH && !this.isDash(at))) {
      if (c !== COLON && c !== 63) return undefined;
      const n = t.charCodeAt(at + 1);
      if (n === SP || at + 1 >= end) return undefined;
    }
    for (; i < end; i++) {
      const ch = t.charCodeAt(i);
      if (ch === COLON) {
        if (i + 1 >= end || t.charCodeAt(i + 1) === SP) return i;
      } else if (ch === HASH && t.charCodeAt(i - 1) === SP) return undefined;
    }
    return undefined;
  }

  private key(at: number, colon: number, col: number): Scalar {
    const c = this.t.charCodeAt(at);
    if (c === 34 || c === 39) return this.quoted(at, this.quoteEnd(at, -1) as number, col);
    let e = colon;
    while (this.t.charCodeAt(e - 1) === SP) e--;
    if (e - at > 1024) throw GIVE_UP;
    const text = this.t.slice(at, e);
    return this.plain(at, e, text, text, e, col);
  }

  // ---- leaves

  /** The leaf starting at `at` on line `li`; `last` is the line it ends on. */
  private leaf(li: number, at: number, parentIndent: number): { node: Node; last: number } {
    const t = this.t;
    const c = t.charCodeAt(at);
    if (c === 124 || c === 62) return this.blockScalar(li, at, parentIndent);
    if (c === 91 || c === 123) {
      const cur = { li };
      const { node, end } = this.flow(at, cur, parentIndent);
      if (!this.restIsEmpty(end, cur.li)) throw GIVE_UP;
      (node.range as Range)[2] = this.afterLine(cur.li);
      return { node, last: cur.li };
    }
    if (c === 34 || c === 39) {
      const close = this.quoteEnd(at, li);
      if (close === undefined || !this.restIsEmpty(close, li)) throw GIVE_UP;
      const node = this.quoted(at, close, parentIndent);
      (node.range as Range)[2] = this.afterLine(li);
      return { node, last: li };
    }
    if (INDICATOR.has(c) && c !== DASH && c !== 63 && c !== COLON) throw GIVE_UP;
    return this.plainBlock(li, at, parentIndent);
  }

  /** A plain scalar in block context, with its continuation lines. */
  private plainBlock(li: number, at: number, parentIndent: number): { node: Node; last: number } {
    const t = this.t;
    const c = t.charCodeAt(at);
    const n = t.charCodeAt(at + 1);
    if ((c === 63 || c === COLON) && (n === SP || n === NL || Number.isNaN(n))) throw GIVE_UP;
    let e = this.plainLineEnd(at, li);
    let value = t.slice(at, e);
    let last = li;
    let valueEnd = e;
    // Continuation lines: more indented than the parent, not comments, not keys.
    let empties = 0;
    for (let j = li + 1; e === this.trimmedLineEnd(li) && j < this.starts.length; j++) {
      const ind = this.indent(j);
      const s = this.starts[j] + ind;
      if (s >= this.lineEnd(j)) {
        empties++;
        continue;
      }
      if (ind <= parentIndent || t.charCodeAt(s) === HASH) break;
      if (INDICATOR.has(t.charCodeAt(s))) throw GIVE_UP;
      const le = this.plainLineEnd(s, j);
      if (le !== this.trimmedLineEnd(j)) throw GIVE_UP; // a comment or `: ` inside
      value += (empties ? "\n".repeat(empties) : " ") + t.slice(s, le);
      empties = 0;
      last = j;
      valueEnd = le;
      e = le;
      li = j;
    }
    const node = this.plain(at, valueEnd, value, t.slice(at, valueEnd), this.afterLine(last), parentIndent);
    return { node, last };
  }

  /** End of the plain text starting at `at` on line `li` (before a comment, trailing spaces trimmed). */
  private plainLineEnd(at: number, li: number): number {
    const t = this.t;
    const end = this.lineEnd(li);
    let i = at;
    for (; i < end; i++) {
      const ch = t.charCodeAt(i);
      if (ch === HASH && t.charCodeAt(i - 1) === SP) break;
      if (ch === COLON && (i + 1 >= end || t.charCodeAt(i + 1) === SP)) throw GIVE_UP;
    }
    while (t.charCodeAt(i - 1) === SP) i--;
    return i;
  }

  private trimmedLineEnd(li: number): number {
    let i = this.lineEnd(li);
    while (this.t.charCodeAt(i - 1) === SP) i--;
    return i;
  }

  private plain(
    at: number,
    end: number,
    text: string,
    source: string,
    nodeEnd: number,
    indent: number,
  ): Scalar {
    this.nodes++;
    const s = newScalar(resolvePlain(text));
    if (typeof s.value === "number" && /^[-+]?[0-9]*\.[0-9]*0$/.test(text)) {
      s.minFractionDigits = text.length - text.indexOf(".") - 1;
    }
    s.range = [at, end, nodeEnd];
    s.source = text;
    s.type = Scalar.PLAIN;
    s.srcToken = { type: "scalar", offset: at, indent, source } as Scalar["srcToken"];
    return s;
  }

  /** The offset just past the closing quote of a quoted scalar at `at` on one line (li -1: any). */
  private quoteEnd(at: number, li: number): number | undefined {
    const t = this.t;
    const q = t.charCodeAt(at);
    const end = li < 0 ? t.length : this.lineEnd(li);
    for (let i = at + 1; i < end; i++) {
      const ch = t.charCodeAt(i);
      if (ch === NL) return undefined;
      if (q === 34 && ch === 92) i++;
      else if (ch === q) {
        if (q === 39 && t.charCodeAt(i + 1) === 39) i++;
        else return i + 1;
      }
    }
    return undefined;
  }

  private quoted(at: number, close: number, indent: number): Scalar {
    const raw = this.t.slice(at, close);
    const double = raw.charCodeAt(0) === 34;
    this.nodes++;
    const s = newScalar(double ? unescapeDouble(raw.slice(1, -1)) : raw.slice(1, -1).replaceAll("''", "'"));
    s.range = [at, close, close];
    s.source = s.value as string;
    s.type = double ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
    const type = double ? "double-quoted-scalar" : "single-quoted-scalar";
    s.srcToken = { type, offset: at, indent, source: raw } as Scalar["srcToken"];
    return s;
  }

  /** `|` or `>` with clip or strip chomping and no indentation indicator. */
  private blockScalar(li: number, at: number, parentIndent: number): { node: Node; last: number } {
    const t = this.t;
    let h = at + 1;
    const chomp = t.charCodeAt(h);
    if (chomp === DASH) h++;
    else if (chomp === 43 || (chomp >= 48 && chomp <= 57)) throw GIVE_UP;
    const hc = t.charCodeAt(h);
    if (hc !== SP && hc !== NL && h < t.length) throw GIVE_UP;
    if (!this.restIsEmpty(h, li)) throw GIVE_UP;
    const header = t.slice(at, h);
    // The content indent is the first non-blank line's; blank lines before it may not be longer.
    let first = -1;
    let longestBlank = 0;
    for (let j = li + 1; j < this.starts.length; j++) {
      const ind = this.indent(j);
      if (this.starts[j] + ind >= this.lineEnd(j)) {
        longestBlank = Math.max(longestBlank, this.lineEnd(j) - this.starts[j]);
        continue;
      }
      first = j;
      break;
    }
    if (first < 0) throw GIVE_UP;
    const m = this.indent(first);
    if (m <= parentIndent || longestBlank > m) throw GIVE_UP;
    let last = first;
    for (let j = first + 1; j < this.starts.length; j++) {
      const len = this.lineEnd(j) - this.starts[j];
      const ind = this.indent(j);
      if (ind === len) {
        if (len > m) throw GIVE_UP; // spaces past the indent on a blank line
        continue;
      }
      if (ind < m) break;
      last = j;
    }
    const folded = t.charCodeAt(at) === 62;
    let value = "";
    let prevMore = false;
    let empties = 0;
    let started = false;
    for (let j = li + 1; j <= last; j++) {
      const s = this.starts[j];
      const e = this.lineEnd(j);
      if (this.indent(j) === e - s) {
        empties++;
        continue;
      }
      const line = t.slice(s + m, e);
      if (!folded) value += (started ? "\n" : "") + "\n".repeat(empties) + line;
      else {
        const more = line.charCodeAt(0) === SP;
        if (!started) value += "\n".repeat(empties) + line;
        else if (!more && !prevMore) value += (empties ? "\n".repeat(empties) : " ") + line;
        else value += "\n" + "\n".repeat(empties) + line;
        prevMore = more;
      }
      started = true;
      empties = 0;
    }
    if (chomp !== DASH) value += "\n";
    const end = this.afterLine(last);
    this.nodes++;
    const node = newScalar(value);
    node.range = [at, end, end];
    node.source = value;
    node.type = folded ? Scalar.BLOCK_FOLDED : Scalar.BLOCK_LITERAL;
    const indent = parentIndent < 0 ? 0 : parentIndent;
    node.srcToken = {
      type: "block-scalar",
      offset: at,
      indent,
      props: [
        { type: "block-scalar-header", offset: at, indent, source: header },
        { type: "newline", offset: this.lineEnd(li), indent, source: "\n" },
      ],
      source: t.slice(this.starts[li + 1], end),
    } as unknown as Scalar["srcToken"];
    return { node, last };
  }

  // ---- flow collections (items on one line each; the brackets and commas may break lines)

  /**
   * Spaces, and line breaks onto lines indented past `min`, from `at`; `cur.li` follows the line.
   * Comments and blank lines inside a flow collection go to the package.
   */
  private flowSpace(at: number, cur: { li: number }, min: number): number {
    let i = this.skipSpaces(at);
    while (i >= this.lineEnd(cur.li)) {
      if (++cur.li >= this.starts.length) throw GIVE_UP;
      const ind = this.indent(cur.li);
      i = this.starts[cur.li] + ind;
      if (ind <= min || i >= this.lineEnd(cur.li)) throw GIVE_UP;
    }
    if (this.t.charCodeAt(i) === HASH) throw GIVE_UP;
    return i;
  }

  private flow(at: number, cur: { li: number }, min: number): { node: YAMLMap | YAMLSeq; end: number } {
    return this.nested(() => this.flowItems(at, cur, min));
  }

  private flowItems(at: number, cur: { li: number }, min: number): { node: YAMLMap | YAMLSeq; end: number } {
    const t = this.t;
    const isMap = t.charCodeAt(at) === 123;
    const close = isMap ? 125 : 93;
    const node = isMap ? new YAMLMap(this.doc.schema) : new YAMLSeq(this.doc.schema);
    node.flow = true;
    let i = this.flowSpace(at + 1, cur, min);
    let needItem = true;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === close) {
        node.range = [at, i + 1, i + 1];
        return { node, end: i + 1 };
      }
      if (!needItem) throw GIVE_UP;
      const line = cur.li;
      const k = this.flowItem(i, cur, min);
      i = this.skipSpaces(k.end);
      if (isMap) {
        // `key: value` on one line.
        if (cur.li !== line || t.charCodeAt(i) !== COLON || t.charCodeAt(i + 1) !== SP) throw GIVE_UP;
        if (k.node instanceof YAMLMap || k.node instanceof YAMLSeq) throw GIVE_UP;
        const v = this.flowItem(this.skipSpaces(i + 1), cur, min);
        if (cur.li !== line) throw GIVE_UP;
        (node as YAMLMap).items.push(newPair(k.node, v.node));
        i = this.skipSpaces(v.end);
        (v.node.range as Range)[2] = i;
      } else {
        if (t.charCodeAt(i) === COLON) throw GIVE_UP;
        (node as YAMLSeq).items.push(k.node);
        (k.node.range as Range)[2] = i;
      }
      needItem = false;
      if (t.charCodeAt(i) === 44) {
        i = this.skipSpaces(i + 1);
        needItem = true;
      }
      i = this.flowSpace(i, cur, min);
    }
  }

  private flowItem(at: number, cur: { li: number }, min: number): { node: Node; end: number } {
    const t = this.t;
    const c = t.charCodeAt(at);
    if (c === 91 || c === 123) return this.flow(at, cur, min);
    if (c === 34 || c === 39) {
      const close = this.quoteEnd(at, cur.li);
      if (close === undefined) throw GIVE_UP;
      return { node: this.quoted(at, close, 0), end: close };
    }
    if (INDICATOR.has(c) || c === SP) throw GIVE_UP;
    const end = this.lineEnd(cur.li);
    let i = at;
    for (; i < end; i++) {
      const ch = t.charCodeAt(i);
      if (ch === 44 || ch === 91 || ch === 93 || ch === 123 || ch === 125) break;
      if (ch === HASH && t.charCodeAt(i - 1) === SP) throw GIVE_UP;
      if (ch === COLON) {
        const n = t.charCodeAt(i + 1);
        if (n === SP || n === 44 || n === 91 || n === 93 || n === 123 || n === 125 || i + 1 >= end) break;
      }
    }
    // A plain item at the end of its line ends there if the next line closes or goes on with a
    // comma; otherwise it may run on (the package's).
    if (i >= end) {
      const next = cur.li + 1;
      if (next >= this.starts.length || this.indent(next) <= min) throw GIVE_UP;
      const n = t.charCodeAt(this.starts[next] + this.indent(next));
      if (n !== 44 && n !== 93 && n !== 125) throw GIVE_UP;
    }
    let e = i;
    while (t.charCodeAt(e - 1) === SP) e--;
    const text = t.slice(at, e);
    return { node: this.plain(at, e, text, text, e, 0), end: e };
  }
}
