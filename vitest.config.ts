import { defineConfig } from "vitest/config";

export default defineConfig({
  logLevel: "error",
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The parser imports JSON without an attribute; let vite transform it.
    server: { deps: { inline: [/@actions\//] } },
  },
});
