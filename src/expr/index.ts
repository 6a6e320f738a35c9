export { formatNumber, fromExpressionData, toExpressionData, toStr, truthy } from "./convert.js";
export { ALL_CONTEXTS, evaluate, evaluateCondition, parseCheck } from "./evaluate.js";
export { hashFilesImpl } from "./hash-files.js";
export { type Segment, splitTemplate } from "./split.js";
export { evaluateTemplate, interpolate } from "./template.js";
export { ExprError, type ExprErrorKind, type ExprHost, type Json, type StatusInfo } from "./types.js";
