import { describe, expect, test } from "vitest";
import { ansiToHtml } from "./ansi.js";
import { markdownToHtml } from "./markdown.js";

describe("step summaries' Markdown", () => {
  test("the common blocks and inline forms", () => {
    const html = markdownToHtml(
      "## Results\n\nAll **good** and *fine*, see `x < y`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n```\n<b>code</b>\n```",
    );
    expect(html).toContain("<h2>Results</h2>");
    expect(html).toContain("<strong>good</strong>");
    expect(html).toContain("<em>fine</em>");
    expect(html).toContain("<code>x &lt; y</code>");
    expect(html).toContain("<th>a</th><th>b</th>");
    expect(html).toContain("<td>1</td><td>2</td>");
    expect(html).toContain("<ul><li>one</li><li>two</li></ul>");
    expect(html).toContain("<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>");
  });

  test("raw HTML is text and only safe links are links", () => {
    const html = markdownToHtml(
      '<script>alert(1)</script> <img src=x onerror="alert(1)"> [a](javascript:alert(1)) [b](https://example.com/?q="x") [c](data:text/html,x)',
    );
    expect(html).not.toMatch(/<script|<img|javascript:|href="data/);
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain('<a href="https://example.com/?q=&quot;x&quot;" rel="nofollow noopener">b</a>');
    expect(html).toContain("a");
  });
});

describe("ANSI colours", () => {
  test("SGR codes become classed spans; other escapes are dropped; text is escaped", () => {
    expect(ansiToHtml("\x1b[31mred\x1b[0m <b>")).toBe('<span class="f1">red</span> &lt;b&gt;');
    expect(ansiToHtml("\x1b[1;92mok\x1b[22m!")).toBe(
      '<span class="f10 ab">ok</span><span class="f10">!</span>',
    );
    expect(ansiToHtml("\x1b[38;5;4mblue\x1b[38;2;1;2;3mrgb")).toBe('<span class="f4">blue</span>rgb');
    expect(ansiToHtml("a\x1b[2Kb\x1b]0;title\x07c")).toBe("abc");
  });
});
