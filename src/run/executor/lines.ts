/**
 * Longest line kept whole, in characters. A longer line is cut there with a note: nobody
 * reads a megabyte-long log line, workflow commands are far shorter, and holding one
 * line must not cost memory in proportion to what a step prints without a newline.
 */
export const MAX_LINE = 1024 * 1024;
/**
 * Text kept after the cut so the masker can see a secret that straddles it (GitHub limits
 * a secret to 48 KB).
 */
export const CUT_LOOKAHEAD = 64 * 1024;

/** What was cut from a line longer than MAX_LINE. */
export interface LineCut {
  /** Characters dropped after the kept line. */
  dropped: number;
  /** The first dropped characters (at most CUT_LOOKAHEAD), for masking only. */
  next: string;
}

export type LineSink = (line: string, cut?: LineCut) => void;

/**
 * Splits a byte stream into lines (UTF-8, CRLF or LF). Each chunk is scanned once, so a
 * long line costs time in proportion to its length, not its square.
 */
export function lineSplitter(onLine: LineSink, maxLine = MAX_LINE, lookahead = CUT_LOOKAHEAD) {
  const decoder = new TextDecoder();
  const cap = maxLine + lookahead;
  let parts: string[] = [];
  let held = 0;
  let dropped = 0;
  const take = (piece: string) => {
    if (!piece) return;
    const room = cap - held;
    if (piece.length <= room) {
      parts.push(piece);
      held += piece.length;
    } else {
      if (room > 0) parts.push(piece.slice(0, room));
      held = cap;
      dropped += piece.length - Math.max(0, room);
    }
  };
  const finish = (crlf: boolean) => {
    let text = parts.length === 1 ? parts[0]! : parts.join("");
    parts = [];
    if (text.length > maxLine) {
      const cut = { dropped: dropped + text.length - maxLine, next: text.slice(maxLine) };
      held = dropped = 0;
      return onLine(text.slice(0, maxLine), cut);
    }
    held = dropped = 0;
    if (crlf && text.endsWith("\r")) text = text.slice(0, -1);
    onLine(text);
  };
  return {
    data(chunk: Uint8Array): void {
      const text = decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        take(text.slice(start, nl));
        finish(true);
        start = nl + 1;
      }
      take(text.slice(start));
    },
    end(): void {
      take(decoder.decode());
      if (held || dropped) finish(false);
    },
  };
}
