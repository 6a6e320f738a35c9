import { e } from "./html.js";

/**
 * Step summaries' Markdown as HTML, a safe subset: headings, paragraphs, lists, block quotes,
 * fenced code, tables, rules, and inline code, bold, italics, strike-through and links.
 * Safe by construction: every piece of text is escaped before it is wrapped in one of these
 * tags, raw HTML shows as text, and a link keeps only http(s), mailto and in-page addresses.
 * (A full CommonMark library would need an HTML sanitiser after it; the subset needs neither.)
 */
export function markdownToHtml(md: string): string {
  const lines = md.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let i = 0;
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${inline(para.join(" "))}</p>`);
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!); i++) code.push(lines[i]!);
      out.push(`<pre><code>${e(code.join("\n"))}</code></pre>`);
      i++;
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      const n = h[1]!.length;
      out.push(`<h${n}>${inline(h[2]!)}</h${n}>`);
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push("<hr>");
      i++;
      continue;
    }
    if (
      /^\s*\|.*\|\s*$/.test(line) &&
      /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(lines[i + 1] ?? "")
    ) {
      flush();
      const cells = (l: string) =>
        l
          .trim()
          .replace(/^\||\|$/g, "")
          .split("|")
          .map((c) => inline(c.trim()));
      const head = cells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i]!); i++) rows.push(cells(lines[i]!));
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${c}</th>`).join("")}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
          .join("")}</tbody></table>`,
      );
      continue;
    }
    const li = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (li) {
      flush();
      const ordered = /\d/.test(li[1]!);
      const items: string[] = [];
      for (; i < lines.length; i++) {
        const m = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(lines[i]!);
        if (!m || /\d/.test(m[1]!) !== ordered) break;
        const task = /^\[([ xX])\]\s+(.*)$/.exec(m[2]!);
        items.push(task ? `${task[1] === " " ? "☐" : "☑"} ${inline(task[2]!)}` : inline(m[2]!));
      }
      const tag = ordered ? "ol" : "ul";
      out.push(`<${tag}>${items.map((t) => `<li>${t}</li>`).join("")}</${tag}>`);
      continue;
    }
    if (/^\s*>/.test(line)) {
      flush();
      const quoted: string[] = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]!); i++) quoted.push(lines[i]!.replace(/^\s*>\s?/, ""));
      out.push(`<blockquote>${markdownToHtml(quoted.join("\n"))}</blockquote>`);
      continue;
    }
    if (!line.trim()) flush();
    else para.push(line.trim());
    i++;
  }
  flush();
  return out.join("\n");
}

/** A link's address if it is one a page may follow; anything else (javascript:, data:) is dropped. */
function safeHref(url: string): string | undefined {
  const u = url.trim();
  return /^(https?:\/\/|mailto:|#|\/(?!\/))/i.test(u) ? u : undefined;
}

/** Inline Markdown of one block: code spans first (their text is literal), then the rest, escaped. */
function inline(text: string): string {
  const parts = text.split(/(`+)([^`]*?)\1/);
  let out = "";
  // split with two groups: text, ticks, code, text, ticks, code, ...
  for (let i = 0; i < parts.length; i += 3) {
    out += emphasis(parts[i] ?? "");
    if (i + 2 < parts.length) out += `<code>${e(parts[i + 2]!)}</code>`;
  }
  return out;
}

function emphasis(text: string): string {
  const links: string[] = [];
  // Links become placeholders first, so their addresses are not read as emphasis.
  let t = text.replace(/\[([^\]]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)/g, (_, label: string, url: string) => {
    const href = safeHref(url);
    const html = href ? `<a href="${e(href)}" rel="nofollow noopener">${e(label)}</a>` : e(label);
    links.push(html);
    return `\u0000${links.length - 1}\u0000`;
  });
  t = e(t)
    .replace(/\*\*(.+?)\*\*|__(.+?)__/g, (_, a, b) => `<strong>${a ?? b}</strong>`)
    .replace(/(^|[^\w*])\*(?!\s)(.+?)\*(?!\w)|(^|\W)_(?!\s)(.+?)_(?!\w)/g, (_, p1, a, p2, b) =>
      a !== undefined ? `${p1}<em>${a}</em>` : `${p2}<em>${b}</em>`,
    )
    .replace(/~~(.+?)~~/g, "<del>$1</del>");
  return t.replace(/\u0000(\d+)\u0000/g, (_, n: string) => links[Number(n)] ?? "");
}
