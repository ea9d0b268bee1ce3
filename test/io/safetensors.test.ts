import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import {
  dtypes, dtypeSize, MAX_HEADER_BYTES, MAX_HEADER_VALUES, MAX_TENSOR_BYTES, SafetensorsError,
  type Dtype, type SafeTensor, type Safetensors, type SafetensorsErrorKind,
} from "../../src/io/safetensors-format.js";
import { decodeSafetensors } from "../../src/io/safetensors-read.js";
import { encodeSafetensors } from "../../src/io/safetensors-write.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A file by hand: 8-byte little-endian header length, the header text (unpadded), the data bytes. */
function file(header: string, data: ArrayLike<number> = [], headerLength?: number): Uint8Array {
  const h = utf8(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

function ok(bytes: Uint8Array): Safetensors {
  const r = decodeSafetensors(bytes);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

function err(bytes: Uint8Array, kind: SafetensorsErrorKind): SafetensorsError {
  const r = decodeSafetensors(bytes);
  if (E.isRight(r)) throw new Error(`expected a ${kind} error, decoding succeeded`);
  expect(r.left).toBeInstanceOf(SafetensorsError);
  expect(r.left.name).toBe("SafetensorsError");
  expect({ kind: r.left.kind, message: r.left.message }).toMatchObject({ kind });
  return r.left;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

function dataArb(dtype: Dtype, n: number): fc.Arbitrary<SafeTensor["data"]> {
  const len = { minLength: n, maxLength: n };
  switch (dtype) {
    case "F64": return fc.float64Array(len);
    case "F32": return fc.float32Array(len);
    case "F16": case "BF16": case "U16": return fc.uint16Array(len);
    case "I64": return fc.bigInt64Array(len);
    case "U64": return fc.bigUint64Array(len);
    case "I32": return fc.int32Array(len);
    case "I16": return fc.int16Array(len);
    case "I8": return fc.int8Array(len);
    case "U32": return fc.uint32Array(len);
    case "U8": return fc.uint8Array(len);
  }
}

const tensorArb = (dtype: Dtype): fc.Arbitrary<SafeTensor> =>
  shapeArb.chain((shape) => dataArb(dtype, shape.reduce((a, b) => a * b, 1)).map((data) => ({ dtype, shape, data }) as SafeTensor));

const nameArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("encoder.0.weight", "__proto__", "constructor", "0", "", " ", "\"quoted\"\\", "naïve ☃ 𝔘"),
).filter((s) => s !== "__metadata__");

function expectSameTensors(got: Safetensors["tensors"], want: Record<string, SafeTensor>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, t] of Object.entries(want)) {
    const g = got[name]!;
    expect(g.dtype).toBe(t.dtype);
    expect(g.shape).toEqual(t.shape);
    expect(g.data.constructor).toBe(t.data.constructor);
    expect(bytesOf(g.data)).toEqual(bytesOf(t.data)); // bit for bit, NaN payloads and -0 included
  }
}

describe("safetensors round trips", () => {
  for (const dtype of dtypes) {
    it(`${dtype}: any shape (scalars, zero-sized dims) and any names decode to what was encoded`, () => {
      fc.assert(fc.property(
        fc.uniqueArray(fc.tuple(nameArb, tensorArb(dtype)), { selector: ([name]) => name, maxLength: 5 }),
        (pairs) => {
          const tensors = Object.fromEntries(pairs);
          const bytes = encodeSafetensors(tensors);
          const decoded = ok(bytes);
          expectSameTensors(decoded.tensors, tensors);
          expect(decoded.metadata).toEqual({});
        },
      ), { numRuns: 60 });
    });
  }

  it("mixed dtypes in one file, with metadata", () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(nameArb, fc.constantFrom(...dtypes).chain(tensorArb)), { selector: ([name]) => name, maxLength: 6 }),
      fc.dictionary(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), { noNullPrototype: true }),
      (pairs, metadata) => {
        const tensors = Object.fromEntries(pairs);
        const decoded = ok(encodeSafetensors(tensors, metadata));
        expectSameTensors(decoded.tensors, tensors);
        expect(decoded.metadata).toEqual(metadata);
      },
    ), { numRuns: 100 });
  });

  it("keeps the insertion order of the tensors in the header and the data region", () => {
    const bytes = encodeSafetensors({
      b: { dtype: "U8", shape: [1], data: new Uint8Array([7]) },
      a: { dtype: "F32", shape: [1], data: new Float32Array([1]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe('{"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}');
    const t = ok(bytes).tensors;
    expect(Object.keys(t)).toEqual(["b", "a"]);
    expect(Array.from(t.a!.data as Float32Array)).toEqual([1]); // unaligned in the file: copied
  });
});

describe("safetensors bytes", () => {
  it("the first 8 bytes are the little-endian header length; the header is JSON padded with spaces to a multiple of 8", () => {
    fc.assert(fc.property(nameArb, tensorArb("F32"), fc.dictionary(fc.string(), fc.string(), { noNullPrototype: true }), (name, t, metadata) => {
      const bytes = encodeSafetensors({ [name]: t }, metadata);
      let n = 0;
      for (let i = 7; i >= 0; i--) n = n * 256 + bytes[i]!;
      expect(n % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      const json = header.trimEnd();
      expect(header.length - json.length).toBeLessThan(8);
      expect(/^ *$/.test(header.slice(json.length))).toBe(true);
      const parsed = JSON.parse(json);
      expect(parsed[name]).toEqual({ dtype: "F32", shape: t.shape, data_offsets: [0, t.data.byteLength] });
      expect(bytes.length).toBe(8 + n + t.data.byteLength);
    }), { numRuns: 50 });
  });

  it("matches the reference writer byte for byte on its own test vectors", () => {
    // From huggingface/safetensors tensor.rs tests: "attn.0" F32 [1, 2, 3] holding 0..5.
    const out = encodeSafetensors({ "attn.0": { dtype: "F32", shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64); // already a multiple of 8: no padding
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, ...utf8(header),
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    // No tensors: "{}" and six spaces; with metadata {"framework": "pt"}: 35 bytes and five spaces.
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(encodeSafetensors({}, { framework: "pt" }))).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...utf8('{"__metadata__":{"framework":"pt"}}'), 32, 32, 32, 32, 32]);
  });

  it("decodes a file built byte by byte, aligned and unaligned", () => {
    const header = '{"u":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"f":{"dtype":"F32","shape":[2],"data_offsets":[3,11]},' +
      '"i":{"dtype":"I32","shape":[1,1],"data_offsets":[11,15]},"d":{"dtype":"F64","shape":[],"data_offsets":[15,23]},"__metadata__":{"k":"v"}}';
    const data = [
      1, 2, 255, // U8 [1, 2, 255]
      0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, // F32 [1, -2], at data byte 3: unaligned
      0xfe, 0xff, 0xff, 0xff, // I32 -2
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, // F64 1 (a scalar)
    ];
    const { tensors, metadata } = ok(file(header, data));
    expect(metadata).toEqual({ k: "v" });
    expect(tensors.u).toMatchObject({ dtype: "U8", shape: [3] });
    expect(Array.from(tensors.u!.data as Uint8Array)).toEqual([1, 2, 255]);
    expect(Array.from(tensors.f!.data as Float32Array)).toEqual([1, -2]);
    expect(tensors.i!.shape).toEqual([1, 1]);
    expect(Array.from(tensors.i!.data as Int32Array)).toEqual([-2]);
    expect(tensors.d!.shape).toEqual([]);
    expect(Array.from(tensors.d!.data as Float64Array)).toEqual([1]);
  });

  it("aligned tensors are views into the input; unaligned ones are aligned copies", () => {
    const bytes = encodeSafetensors({ a: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } });
    expect(ok(bytes).tensors.a!.data.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const t = ok(shifted.subarray(1)).tensors.a!;
    expect(t.data.buffer).not.toBe(shifted.buffer);
    expect(t.data.byteOffset % 4).toBe(0);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2]);
  });
});

describe("safetensors refuses broken files", () => {
  const good = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const eight = [0, 0, 0, 0, 0, 0, 0, 0];

  it("truncated: fewer than 8 bytes, or a header length past the end", () => {
    for (let n = 0; n < 8; n++) err(new Uint8Array(n), "truncated");
    const e = err(file(good, eight, utf8(good).length + 9), "truncated");
    expect(e.message).toContain("past the end");
  });

  it("header length over MAX_HEADER_BYTES (checked before the file length)", () => {
    err(file(good, eight, MAX_HEADER_BYTES + 1), "header-too-large");
    err(file(good, eight, 2 ** 40), "header-too-large");
    const max = new Uint8Array(16).fill(0xff);
    err(max, "header-too-large");
    expect(err(file(good, eight, MAX_HEADER_BYTES), "truncated").details.found).toBe(String(8 + utf8(good).length + 8));
  });

  it("header not UTF-8", () => {
    const bytes = file(good, eight);
    bytes[10] = 0xff;
    err(bytes, "header-encoding");
  });

  it("bad JSON, never a throw", () => {
    for (const text of ['{"a":', "{'a':1}", '{"a":1,}', "{", '{"a" 1}', '{"a":[1 2]}', '{"a":tru}', '{"a":"\u0001"}', '{"a":01}', '{} x',
      '{"a":"\\ud800"}', '{"a":"\\x"}', '{"a":NaN}', "", "[".repeat(100_000)]) {
      err(file(text), "header-json");
    }
    expect(err(file('{"a":1,}'), "header-json").details.byteOffset).toBe(8 + 7);
  });

  it("header that is not an object", () => {
    for (const text of ["[]", "1", '"a"', "null", ' {"a":1}']) err(file(text), "header-structure");
    err(file('{"a":[1]}'), "header-structure");
    err(file('{"a":{"dtype":"F32","shape":[0]}}'), "header-structure"); // data_offsets missing
    err(file('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":1}}'), "header-structure");
  });

  it("unknown dtype", () => {
    const e = err(file('{"a":{"dtype":"F128","shape":[0],"data_offsets":[0,0]}}'), "dtype");
    expect(e.details).toMatchObject({ tensor: "a", field: "dtype", found: '"F128"' });
    err(file('{"a":{"dtype":"f32","shape":[0],"data_offsets":[0,0]}}'), "dtype");
    err(file('{"a":{"dtype":4,"shape":[0],"data_offsets":[0,0]}}'), "dtype");
  });

  it("negative, fractional or non-numeric shapes", () => {
    for (const shape of ["[-1]", "[1.5]", "[2.0]", "[2e0]", '["2"]', "2", "[null]", "[9007199254740993]"]) {
      const e = err(file(`{"a":{"dtype":"U8","shape":${shape},"data_offsets":[0,2]}}`, [0, 0]), "shape");
      expect(e.details.tensor).toBe("a");
    }
  });

  it("malformed offsets", () => {
    for (const offsets of ["[0]", "[0,1,2]", "[-1,0]", "[0.0,1]", "0", '["0","1"]', "[1,0]"]) {
      err(file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":${offsets}}}`, [0]), "offsets");
    }
  });

  it("overlapping offsets", () => {
    const e = err(file('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', [0, 0, 0, 0]), "overlap");
    expect(e.details.tensor).toBe("b");
    err(file('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', [0, 0]), "overlap");
    err(file('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"z":{"dtype":"U8","shape":[0],"data_offsets":[2,2]}}', [0, 0, 0, 0]), "overlap");
  });

  it("a gap between offsets, or offsets not starting at 0", () => {
    const e = err(file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}', [0, 0, 0]), "gap");
    expect(e.details.tensor).toBe("b");
    const h = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}';
    expect(err(file(h, [0, 0]), "gap").details.byteOffset).toBe(8 + utf8(h).length); // the first unused data byte
  });

  it("size mismatch between shape * dtype size and the offsets", () => {
    const e = err(file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), "size-mismatch");
    expect(e.details).toMatchObject({ tensor: "a", expected: "8", found: "4" });
  });

  it("more than MAX_HEADER_VALUES JSON values in the header", () => {
    // The root, __metadata__ and k strings are k + 2 values.
    const header = (k: number) => `{"__metadata__":{${Array.from({ length: k }, (_, i) => `"k${i}":""`).join(",")}}}`;
    const ok = decodeSafetensors(file(header(MAX_HEADER_VALUES - 2), []));
    expect(E.isRight(ok) && Object.keys(ok.right.metadata).length).toBe(MAX_HEADER_VALUES - 2);
    expect(err(file(header(MAX_HEADER_VALUES - 1), []), "header-too-large").message).toMatch(/more than 262144 JSON values \(MAX_HEADER_VALUES\)/);
    err(file(`{"a":{"dtype":"U8","shape":[${"0,".repeat(MAX_HEADER_VALUES)}0],"data_offsets":[0,0]}}`, []), "header-too-large");
  });

  it("a tensor larger than MAX_TENSOR_BYTES, whatever its offsets, before its data is looked at", () => {
    err(file('{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'), "tensor-too-large");
    const big = (shape: string, dtype = "F32") => file(`{"a":{"dtype":"${dtype}","shape":${shape},"data_offsets":[0,4]}}`, [0, 0, 0, 0]);
    const e = err(big(`[${MAX_TENSOR_BYTES / 4 + 1}]`), "tensor-too-large");
    expect(e.details).toMatchObject({ tensor: "a", expected: `<= ${MAX_TENSOR_BYTES} bytes`, found: String(MAX_TENSOR_BYTES + 4) });
    expect(e.message).toMatch(/MAX_TENSOR_BYTES/);
    // exactly at the limit it is only the offsets that disagree
    err(big(`[${MAX_TENSOR_BYTES / 4}]`), "size-mismatch");
    err(big(`[${MAX_TENSOR_BYTES}]`, "U8"), "size-mismatch");
  });

  it("trailing bytes, and offsets past the end of the file", () => {
    expect(err(file(good, [...eight, 0]), "trailing-bytes").details.byteOffset).toBe(8 + utf8(good).length + 8);
    err(file("{}", [0]), "trailing-bytes");
    err(file(good, eight.slice(1)), "data-past-end");
  });

  it("non-string metadata values, or metadata that is not an object", () => {
    const e = err(file('{"__metadata__":{"a":"x","b":1}}'), "metadata");
    expect(e.details).toMatchObject({ field: "b", found: "1" });
    err(file('{"__metadata__":{"a":null}}'), "metadata");
    err(file('{"__metadata__":["a"]}'), "metadata");
    err(file('{"__metadata__":"a"}'), "metadata");
  });

  it("duplicate keys in the JSON text", () => {
    const t = '{"dtype":"U8","shape":[0],"data_offsets":[0,0]}';
    expect(err(file(`{"a":${t},"a":${t}}`), "duplicate-key").message).toContain('"a"');
    err(file('{"a":{"dtype":"U8","dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), "duplicate-key");
    err(file('{"__metadata__":{"k":"1","k":"2"}}'), "duplicate-key");
    err(file('{"__metadata__":{},"__metadata__":{}}'), "duplicate-key");
    err(file('{"\\u0061":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), "duplicate-key");
  });

  it("accepts what the format allows: zero-sized tensors at shared offsets, escapes, padding", () => {
    const r = ok(file('{"z":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"y":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"n\\u00e9\\n":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}   ', [9]));
    expect(Object.keys(r.tensors)).toEqual(["z", "y", "né\n"]);
    expect(r.tensors["né\n"]!.data[0]).toBe(9);
  });

  it("never throws on corrupted bytes", () => {
    const valid = encodeSafetensors({
      w: { dtype: "F32", shape: [2, 3], data: new Float32Array(6).fill(1.5) },
      b: { dtype: "I64", shape: [2], data: new BigInt64Array([1n, -1n]) },
    }, { note: "x" });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(valid.length), (edits, cut) => {
      const bytes = valid.slice(0, Math.max(cut, 1));
      for (const [i, v] of edits) if (i < bytes.length) bytes[i] = v;
      const r = decodeSafetensors(bytes);
      if (E.isLeft(r)) expect(r.left).toBeInstanceOf(SafetensorsError);
    }), { numRuns: 500 });
  });
});

describe("encodeSafetensors refuses what it cannot write", () => {
  const kind = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(SafetensorsError);
      return (e as SafetensorsError).kind;
    }
    return "no error";
  };

  it("data of the wrong type or length, bad shapes, reserved or ill-formed names", () => {
    const cases: Record<string, unknown>[] = [
      { a: { dtype: "F32", shape: [2], data: new Float64Array(2) } },
      { a: { dtype: "F32", shape: [3], data: new Float32Array(2) } },
      { a: { dtype: "F32", shape: [-1], data: new Float32Array(0) } },
      { a: { dtype: "F32", shape: [1.5], data: new Float32Array(0) } },
      { a: { dtype: "X", shape: [], data: new Float32Array(1) } },
      { a: { dtype: "F32", shape: [2], data: [1, 2] } },
      { __metadata__: { dtype: "U8", shape: [], data: new Uint8Array(1) } },
      { "\ud800": { dtype: "U8", shape: [], data: new Uint8Array(1) } },
    ];
    for (const c of cases) expect(kind(() => encodeSafetensors(c as Record<string, SafeTensor>))).toBe("invalid-input");
    expect(kind(() => encodeSafetensors({}, { k: 1 as unknown as string }))).toBe("invalid-input");
    expect(kind(() => encodeSafetensors({}, { k: "\udc00" }))).toBe("invalid-input");
  });

  it("element sizes", () => {
    expect(Object.fromEntries(dtypes.map((d) => [d, dtypeSize(d)]))).toEqual({ F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1 });
  });
});
