// parseWorkflow over a document parsed elsewhere: the package's YAML reader always parses its text,
// so this one is built around an existing document (the YAML parse is most of a lint's time).

import type { TemplateContext } from "@actions/workflow-parser/templates/template-context";
import { readTemplate } from "@actions/workflow-parser/templates/template-reader";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { WORKFLOW_ROOT } from "@actions/workflow-parser/workflows/workflow-constants";
import { YamlObjectReader } from "@actions/workflow-parser/workflows/yaml-object-reader";
import type { Document, LineCounter } from "yaml";

/** The reader's private state, set the way its constructor sets it. */
interface ReaderState {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  errors: unknown[];
  _generator: Generator;
  getNodes(node: unknown, aliases: Set<unknown>): Generator;
}

class ParsedReader extends YamlObjectReader {
  constructor(fileId: number, doc: Document.Parsed, lines: LineCounter) {
    super(fileId, ""); // an empty parse; the fields below replace its result
    const self = this as unknown as ReaderState;
    self.doc = doc;
    self.lineCounter = lines;
    self.errors = [];
    self._generator = self.getNodes(doc, new Set());
  }
}

/** parseWorkflow (workflows/workflow-parser.js) for an error-free document. */
export function readParsed(
  context: TemplateContext,
  name: string,
  doc: Document.Parsed,
  lines: LineCounter,
): { context: TemplateContext; value: TemplateToken | undefined } {
  const fileId = context.getFileId(name);
  const value = readTemplate(context, WORKFLOW_ROOT, new ParsedReader(fileId, doc, lines), fileId);
  return { context, value };
}
