/** GitHub's limit on the characters of one expression. */
export const MAX_EXPRESSION_LENGTH = 21000;

/** The expression lexer's error codes in GitHub's words (it throws "ErrorExceededMaxLength"). */
export function lexMessage(message: string): string {
  return message === "ErrorExceededMaxLength"
    ? `Exceeded max expression length ${MAX_EXPRESSION_LENGTH}`
    : message;
}
