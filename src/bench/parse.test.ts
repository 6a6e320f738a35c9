import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { compare, describe, parseThreshold } from "./compare.js";
import { BenchParseError, parseBench } from "./parse.js";

const fixture = (f: string) =>
  readFileSync(new URL(`../../test/fixtures/bench-outputs/${f}`, import.meta.url), "utf8");

test("cargo: libtest's cargo bench output (nightly, decimals and thousands separators)", () => {
  expect(parseBench("cargo", fixture("cargo-libtest.txt"))).toEqual([
    { name: "tests::bench_fib_10", value: 116.3, unit: "ns/iter", range: "± 135.17", biggerIsBetter: false },
    {
      name: "tests::bench_fib_20",
      value: 14828.93,
      unit: "ns/iter",
      range: "± 927.61",
      biggerIsBetter: false,
    },
  ]);
});

test("cargo: criterion's --output-format bencher output (names with spaces)", () => {
  expect(parseBench("cargo", fixture("criterion-bencher.txt"))).toEqual([
    { name: "fib 10", value: 129, unit: "ns/iter", range: "± 0", biggerIsBetter: false },
    { name: "fib 15", value: 1486, unit: "ns/iter", range: "± 5", biggerIsBetter: false },
  ]);
});

test("go: go test -bench output; several metrics (-benchmem) are one result each", () => {
  const r = parseBench("go", fixture("go.txt"));
  expect(r.map((x) => [x.name, x.value, x.unit])).toEqual([
    ["BenchmarkFib10", 273.8, "ns/op"],
    ["BenchmarkFib20 - ns/op", 34479, "ns/op"],
    ["BenchmarkFib20 - B/op", 0, "B/op"],
    ["BenchmarkFib20 - allocs/op", 0, "allocs/op"],
  ]);
  expect(r[0]!.extra).toBe("856405 times\n2 procs");
  expect(r.every((x) => !x.biggerIsBetter)).toBe(true);
});

test("pytest: pytest-benchmark's JSON, operations per second, bigger is better", () => {
  const r = parseBench("pytest", fixture("pytest.json"));
  expect(r.map((x) => [x.name, x.unit, x.biggerIsBetter])).toEqual([
    ["test_fib.py::test_fib_10", "iter/sec", true],
    ["test_fib.py::test_fib_15", "iter/sec", true],
  ]);
  expect(r[0]!.value).toBeGreaterThan(r[1]!.value);
  expect(r[0]!.range).toMatch(/^stddev: /);
});

test("benchmarkjs: Benchmark.js' ops/sec lines, bigger is better", () => {
  expect(parseBench("benchmarkjs", fixture("benchmarkjs.txt"))).toEqual([
    {
      name: "fib(10)",
      value: 2155479,
      unit: "ops/sec",
      range: "±1.44%",
      extra: "94 samples",
      biggerIsBetter: true,
    },
    {
      name: "fib(15)",
      value: 187415,
      unit: "ops/sec",
      range: "±2.33%",
      extra: "92 samples",
      biggerIsBetter: true,
    },
  ]);
});

test("custom tools: a JSON array; a bad item is a clear error", () => {
  const text = JSON.stringify([{ name: "size", unit: "KB", value: 120, range: "3", extra: "gz" }]);
  expect(parseBench("customBiggerIsBetter", text)[0]).toEqual({
    name: "size",
    unit: "KB",
    value: 120,
    range: "3",
    extra: "gz",
    biggerIsBetter: true,
  });
  expect(parseBench("customSmallerIsBetter", text)[0]!.biggerIsBetter).toBe(false);
  expect(() => parseBench("customSmallerIsBetter", '[{"name":"x"}]')).toThrow(BenchParseError);
  expect(() => parseBench("customSmallerIsBetter", "nope")).toThrow(/not JSON.*expected a JSON file/);
  expect(() => parseBench("pytest", "{}")).toThrow(/no "benchmarks" array/);
});

test("thresholds and ratios: smaller-is-better and bigger-is-better", () => {
  expect(parseThreshold("200%", "alert-threshold")).toBe(2);
  expect(parseThreshold("150", "alert-threshold")).toBe(1.5);
  expect(() => parseThreshold("two", "alert-threshold")).toThrow("alert-threshold must be a percentage");
  const slow = compare(
    [{ name: "a", value: 300, unit: "ns/iter", biggerIsBetter: false }],
    [{ name: "a", value: 100, unit: "ns/iter", biggerIsBetter: false }],
  );
  expect(slow[0]!.ratio).toBe(3);
  expect(describe(slow[0]!)).toBe("a: 300 ns/iter (previous 100 ns/iter, 3.00× worse)");
  const fewer = compare(
    [{ name: "b", value: 50, unit: "ops/sec", biggerIsBetter: true }],
    [{ name: "b", value: 100, unit: "ops/sec", biggerIsBetter: true }],
  );
  expect(fewer[0]!.ratio).toBe(2);
  // 0 B/op both times is the same; from 0 to 8 is infinitely worse.
  const zero = (value: number) => [{ name: "m - B/op", value, unit: "B/op", biggerIsBetter: false }];
  expect(compare(zero(0), zero(0))[0]!.ratio).toBe(1);
  expect(describe(compare(zero(8), zero(0))[0]!)).toBe("m - B/op: 8 B/op (previous 0 B/op, ∞× worse)");
  // A benchmark without a baseline (new) is not compared.
  expect(compare([{ name: "new", value: 1, unit: "x", biggerIsBetter: false }], [])).toEqual([]);
});
