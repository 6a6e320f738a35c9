// Scalars and pairs for the fast reader, made without the package's constructors. Those define
// the node-type symbol on every node with Object.defineProperty, the largest single cost of
// building a tree; here it sits on a prototype below the class's own, so `isScalar`, `isPair`,
// `instanceof` and every method see the same node. If a version of the package ever hides the
// symbol differently, the constructors are used as before.
import { isPair, isScalar, Pair, Scalar } from "yaml";

function protoWithType<T extends object>(sample: T, cls: { prototype: T }): T | undefined {
  const [key, ...more] = Object.getOwnPropertySymbols(sample);
  if (!key || more.length) return undefined;
  return Object.create(cls.prototype, { [key]: { value: (sample as Record<symbol, unknown>)[key] } });
}

const scalarProto = protoWithType(new Scalar(null), Scalar);
const pairProto = protoWithType(new Pair(null), Pair);

function makeScalar(value: unknown): Scalar {
  const s = Object.create(scalarProto!) as Scalar;
  s.value = value;
  return s;
}

function makePair(key: unknown, value: unknown): Pair {
  const p = Object.create(pairProto!) as Pair;
  p.key = key;
  p.value = value;
  return p;
}

const works =
  scalarProto !== undefined &&
  pairProto !== undefined &&
  isScalar(makeScalar(1)) &&
  isPair(makePair(null, null)) &&
  !isPair(makeScalar(1));

export const newScalar: (value: unknown) => Scalar = works ? makeScalar : (v) => new Scalar(v);
export const newPair: (key: unknown, value: unknown) => Pair = works ? makePair : (k, v) => new Pair(k, v);
