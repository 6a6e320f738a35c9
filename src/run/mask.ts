/**
 * One masker per run: every event passes through it (eventGate) before any consumer
 * sees it, and so do the names the artifact store writes to disk. Multi-line values are
 * masked line by line, as GitHub does, so a secret split over lines still disappears.
 */
export class Masker {
  private values: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const v = part.trim() === "" ? "" : part;
      // Very short values would mask half the log; GitHub skips them too.
      if (v.length < 2 || this.values.includes(v)) continue;
      this.values.push(v);
    }
    // Longest first so a secret containing another is masked whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    if (this.values.length === 0) return text;
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join("***");
    return out;
  }

  /**
   * A masker of the values as `written` writes them (HTML-escaped, say): for output that
   * escapes text before masking it. Made when needed: values are added while a server runs.
   */
  as(written: (value: string) => string): Masker {
    const m = new Masker();
    for (const v of this.values) m.add(written(v));
    return m;
  }

  get size(): number {
    return this.values.length;
  }
}
