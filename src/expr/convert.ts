import { data } from "@actions/expressions";
import type { Json } from "./types.js";

/** Plain JSON to the package's data model. Undefined (from sloppy callers) becomes null. */
export function toExpressionData(v: Json | undefined): data.ExpressionData {
  if (v === null || v === undefined) return new data.Null();
  if (typeof v === "boolean") return new data.BooleanData(v);
  if (typeof v === "number") return new data.NumberData(v);
  if (typeof v === "string") return new data.StringData(v);
  if (Array.isArray(v)) return new data.Array(...v.map(toExpressionData));
  const d = new data.Dictionary();
  for (const [k, x] of Object.entries(v)) d.add(k, toExpressionData(x));
  return d;
}

/** The package's data model back to plain JSON; dictionary keys keep their first spelling. */
export function fromExpressionData(d: data.ExpressionData | undefined): Json {
  if (d === undefined) return null;
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return (d as data.BooleanData).value;
    case data.Kind.Number:
      return (d as data.NumberData).value;
    case data.Kind.String:
      return (d as data.StringData).value;
    case data.Kind.Array:
      return (d as data.Array).values().map(fromExpressionData);
    default: {
      const out: { [k: string]: Json } = {};
      for (const p of (d as data.Dictionary).pairs()) out[p.key] = fromExpressionData(p.value);
      return out;
    }
  }
}

/**
 * A number as GitHub's runner prints it (.NET "G15"): at most 15 significant digits,
 * integers without a decimal point, scientific form ("1E+15", "1E-05") outside 1e-5..1e15.
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (n === 0) return "0";
  const sign = n < 0 ? "-" : "";
  const [mant, expStr] = Math.abs(n).toExponential(14).split("e");
  let exp = Number(expStr);
  let digits = mant!.replace(".", "").replace(/0+$/, "");
  if (digits === "") digits = "0";
  // Rounding to 15 digits can carry into a new digit (9.99…e2 -> 1.00e3); toExponential already did it.
  if (exp >= 15 || exp < -4) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${m}E${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    const frac = digits.slice(exp + 1);
    return sign + int + (frac ? `.${frac}` : "");
  }
  exp = -exp;
  return `${sign}0.${"0".repeat(exp - 1)}${digits}`;
}

/** GitHub's coercion of a value to text for env, run, with, outputs. */
export function toStr(value: Json | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatNumber(value);
  return JSON.stringify(value, null, 2);
}

/** GitHub's truthiness: null, false, 0, NaN and "" are false; arrays and objects are true. */
export function truthy(value: Json | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value.length > 0;
  return true;
}
