// parseWorkflow over a document parsed elsewhere: the package's YAML reader always parses its text,
// so this one is built around an existing document (the YAML parse is most of a lint's time).

import { parseWorkflow, type TraceWriter } from "@actions/workflow-parser";
import { EventType, ParseEvent } from "@actions/workflow-parser/templates/parse-event";
import {
  TemplateContext,
  TemplateValidationErrors,
} from "@actions/workflow-parser/templates/template-context";
import { readTemplate } from "@actions/workflow-parser/templates/template-reader";
import { MappingToken, SequenceToken, StringToken } from "@actions/workflow-parser/templates/tokens/index";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { WORKFLOW_ROOT } from "@actions/workflow-parser/workflows/workflow-constants";
import { YamlObjectReader } from "@actions/workflow-parser/workflows/yaml-object-reader";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Pair,
  type Scalar,
  YAMLMap,
} from "yaml";
import { type FastParsed, isPlainDoc, parseYaml } from "./fast-yaml.js";
import { workflowSchema } from "./schema.js";

/** The reader's private state, set the way its constructor sets it. */
interface ReaderState {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  errors: unknown[];
  _generator: Iterator<ParseEvent>;
  getNodes(node: unknown, aliases: Set<unknown>): Generator<ParseEvent>;
}

type TokenRange = ConstructorParameters<typeof StringToken>[1];

class ParsedReader extends YamlObjectReader {
  constructor(fileId: number, doc: Document.Parsed, lines: LineCounter) {
    super(fileId, ""); // an empty parse; the fields below replace its result
    const self = this as unknown as ReaderState;
    self.doc = doc;
    self.lineCounter = lines;
    self.errors = [];
    // A document with no aliases (the fast reader's) is read from a flat list of events: the
    // package's nested generators cost more than the rest of the walk.
    self._generator = isPlainDoc(doc)
      ? new Cursor(events(fileId, doc, lines))
      : self.getNodes(doc, new Set());
  }
}

/**
 * An iterator over the events that hands back one result object: the reader takes `value` out of
 * a result before it asks for the next (an array iterator makes an object per event).
 */
class Cursor implements Iterator<ParseEvent> {
  private i = 0;
  private readonly result: IteratorResult<ParseEvent> = { done: false, value: undefined as never };
  constructor(private readonly list: ParseEvent[]) {}
  next(): IteratorResult<ParseEvent> {
    if (this.i < this.list.length) this.result.value = this.list[this.i++]!;
    else Object.assign(this.result, { done: true, value: undefined });
    return this.result;
  }
}

/**
 * The reader's getRange (line and column of a node's start and end, 1-based), with a cursor
 * instead of a binary search per offset: the walk meets offsets almost in order.
 */
function ranges(lines: LineCounter): (node: { range?: number[] | null }) => TokenRange | undefined {
  const starts = lines.lineStarts;
  let i = 0;
  const pos = (offset: number) => {
    while (i + 1 < starts.length && starts[i + 1]! <= offset) i++;
    while (i > 0 && starts[i]! > offset) i--;
    return { line: i + 1, column: offset - starts[i]! + 1 };
  };
  return (node) => {
    const r = node.range;
    if (r?.[0] === undefined || r[1] === undefined) return undefined;
    const start = pos(r[0]);
    return { start, end: pos(r[1]) };
  };
}

/** The reader's private literal conversion (null, number, boolean, or string with its source). */
const literal = (
  YamlObjectReader as unknown as {
    getLiteralToken(fileId: number, range: TokenRange | undefined, node: Scalar): ParseEvent["token"];
  }
).getLiteralToken;

// Events without a token are only read, never changed: one of each serves every document.
const SEQ_END = new ParseEvent(EventType.SequenceEnd);
const MAP_END = new ParseEvent(EventType.MappingEnd);

/** The events getNodes yields, for a document without aliases. */
function events(fileId: number, doc: Document.Parsed, lines: LineCounter): ParseEvent[] {
  const out: ParseEvent[] = [new ParseEvent(EventType.DocumentStart)];
  const rangeOf = ranges(lines);
  const key = (k: Scalar) =>
    out.push(
      new ParseEvent(EventType.Literal, new StringToken(fileId, rangeOf(k), k.value as string, undefined)),
    );
  const visit = (node: unknown): void => {
    if (isScalar(node)) {
      out.push(new ParseEvent(EventType.Literal, literal(fileId, rangeOf(node), node)));
    } else if (isMap(node)) {
      out.push(new ParseEvent(EventType.MappingStart, new MappingToken(fileId, rangeOf(node), undefined)));
      for (const pair of node.items) {
        key(pair.key as Scalar);
        visit(pair.value);
      }
      out.push(MAP_END);
    } else if (isSeq(node)) {
      out.push(new ParseEvent(EventType.SequenceStart, new SequenceToken(fileId, rangeOf(node), undefined)));
      for (const item of node.items) visit(item);
      out.push(SEQ_END);
    } else if (isPair(node)) {
      key(node.key as Scalar);
      visit(node.value);
    }
  };
  visit(doc.contents);
  out.push(new ParseEvent(EventType.DocumentEnd));
  return out;
}

/** parseWorkflow (workflows/workflow-parser.js) for an error-free document. */
export function readParsed(
  context: TemplateContext,
  name: string,
  doc: Document.Parsed,
  lines: LineCounter,
): { context: TemplateContext; value: TemplateToken | undefined } {
  const fileId = context.getFileId(name);
  nullInputsAsMappings(doc);
  const value = readTemplate(context, WORKFLOW_ROOT, new ParsedReader(fileId, doc, lines), fileId);
  return { context, value };
}

/**
 * GitHub accepts `workflow_dispatch: inputs:` with nothing under it, and an input with nothing
 * under it (a string input); the package's schema rejects both. Such nulls are read as empty
 * mappings at the same place (the reader conformance cases on-workflow_dispatch-inputs*.yml).
 */
function nullInputsAsMappings(doc: Document.Parsed): void {
  const inputs = pairOf(pairOf(pairOf(doc.contents, "on")?.value, "workflow_dispatch")?.value, "inputs");
  if (!inputs) return;
  const asMap = (p: Pair) => {
    if (p.value !== null && !(isScalar(p.value) && p.value.value === null)) return;
    const m = new YAMLMap();
    const at = (isScalar(p.value) ? p.value.range : undefined) ?? (p.key as Scalar).range;
    if (at) m.range = isScalar(p.value) ? [at[0], at[1], at[2]] : [at[1], at[1], at[1]];
    p.value = m;
  };
  asMap(inputs);
  if (isMap(inputs.value)) for (const p of inputs.value.items) asMap(p);
}

function pairOf(node: unknown, key: string): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && p.key.value === key);
}

// Called workflows are read once per caller; their trees are only read, so one parse serves all.
const callees = new Map<string, FastParsed>();

/**
 * The package's parseWorkflow, over the fast YAML reader when the text is in its subset (a called
 * workflow is parsed once per caller otherwise); text with YAML errors takes the package's path.
 */
export function parseWorkflowFast(
  file: { name: string; content: string },
  contextOrTrace: TemplateContext | TraceWriter,
): { context: TemplateContext; value: TemplateToken | undefined } {
  let parsed = callees.get(file.content);
  if (!parsed) {
    if (callees.size >= 64) callees.clear();
    parsed = parseYaml(file.content);
    callees.set(file.content, parsed);
  }
  const context =
    contextOrTrace instanceof TemplateContext
      ? contextOrTrace
      : new TemplateContext(new TemplateValidationErrors(), workflowSchema(), contextOrTrace);
  // Nesting refused before parsing: the package's parse would run out of stack.
  const deep = parsed.doc.errors.find((e) => e.code === "RESOURCE_EXHAUSTION");
  if (deep) {
    const p = parsed.lines.linePos(deep.pos[0]);
    const at = { line: p.line, column: p.col };
    context.error(context.getFileId(file.name), deep.message, { start: at, end: at });
    return { context, value: undefined };
  }
  // YAML errors: the package's own messages.
  if (parsed.doc.errors.length) return parseWorkflow(file, context);
  return readParsed(context, file.name, parsed.doc, parsed.lines);
}
