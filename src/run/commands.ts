/** Workflow commands written to stdout: `::name key=value,key=value::message`. */
export interface WorkflowCommand {
  name: string;
  props: Record<string, string>;
  message: string;
}

const COMMAND = /^::([A-Za-z0-9_.-]+)( [^:]*)?::(.*)$/;

function unescapeData(s: string): string {
  return s.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
}

function unescapeProp(s: string): string {
  return unescapeData(s).replace(/%3A/gi, ":").replace(/%2C/gi, ",");
}

export function parseCommand(line: string): WorkflowCommand | undefined {
  const m = COMMAND.exec(line.trimStart());
  if (!m) return undefined;
  const props: Record<string, string> = {};
  for (const part of (m[2] ?? "").trim().split(",")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    if (eq > 0) props[part.slice(0, eq).trim()] = unescapeProp(part.slice(eq + 1));
  }
  return { name: m[1]!, props, message: unescapeData(m[3] ?? "") };
}
