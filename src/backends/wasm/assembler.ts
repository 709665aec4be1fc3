/**
 * A small WebAssembly binary assembler, written from the core and SIMD specifications: it builds a
 * module that imports one linear memory (optionally shared) and defines exported functions whose
 * bodies are emitted instruction by instruction. It knows just the instructions gmgrad's kernels
 * use; `WebAssembly.validate` on the result is the final check.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE_CODE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Appends bytes; numbers are encoded the way the binary format wants them. */
export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private len = 0;

  get length(): number { return this.len; }

  byte(b: number): this {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]!);
    return this;
  }

  /** unsigned LEB128 of a value in [0, 2^32) */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`assembler: u32 out of range: ${v}`);
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** signed LEB128 of a value in [-2^31, 2^32) (values ≥ 2^31 are taken as their i32 bit pattern) */
  s32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`assembler: i32 out of range: ${v}`);
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const signBitSet = (b & 0x40) !== 0;
      if ((v === 0 && !signBitSet) || (v === -1 && signBitSet)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }

  f32(v: number): this {
    const tmp = new DataView(new ArrayBuffer(4));
    tmp.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.byte(tmp.getUint8(i));
    return this;
  }

  name(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** a length-prefixed copy of another writer (a section or function body) */
  sized(inner: ByteWriter): this {
    return this.u32(inner.length).bytes(inner.toBytes());
  }

  toBytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

/** Opcodes without immediates. SIMD ones are [0xfd, simdop]; the simdop is LEB128-encoded on emit. */
const PLAIN_OPS = {
  'unreachable': [0x00], 'nop': [0x01], 'return': [0x0f], 'drop': [0x1a], 'select': [0x1b],
  'i32.eqz': [0x45], 'i32.eq': [0x46], 'i32.ne': [0x47], 'i32.lt_s': [0x48], 'i32.lt_u': [0x49],
  'i32.gt_s': [0x4a], 'i32.gt_u': [0x4b], 'i32.le_s': [0x4c], 'i32.le_u': [0x4d], 'i32.ge_s': [0x4e], 'i32.ge_u': [0x4f],
  'f32.eq': [0x5b], 'f32.ne': [0x5c], 'f32.lt': [0x5d], 'f32.gt': [0x5e], 'f32.le': [0x5f], 'f32.ge': [0x60],
  'i32.clz': [0x67], 'i32.ctz': [0x68], 'i32.add': [0x6a], 'i32.sub': [0x6b], 'i32.mul': [0x6c],
  'i32.div_s': [0x6d], 'i32.div_u': [0x6e], 'i32.rem_s': [0x6f], 'i32.rem_u': [0x70],
  'i32.and': [0x71], 'i32.or': [0x72], 'i32.xor': [0x73], 'i32.shl': [0x74], 'i32.shr_s': [0x75], 'i32.shr_u': [0x76],
  'f32.abs': [0x8b], 'f32.neg': [0x8c], 'f32.sqrt': [0x91], 'f32.add': [0x92], 'f32.sub': [0x93],
  'f32.mul': [0x94], 'f32.div': [0x95], 'f32.min': [0x96], 'f32.max': [0x97],
  'i32.trunc_f32_s': [0xa8], 'f32.convert_i32_s': [0xb2],
  'f64.sqrt': [0x9f], 'f64.add': [0xa0], 'f64.sub': [0xa1], 'f64.mul': [0xa2], 'f64.div': [0xa3],
  'f32.demote_f64': [0xb6], 'f64.convert_i32_s': [0xb7], 'f64.promote_f32': [0xbb],
  'f64x2.splat': [0xfd, 0x14], 'f64x2.promote_low_f32x4': [0xfd, 0x5f], 'f32x4.demote_f64x2_zero': [0xfd, 0x5e],
  'f64x2.add': [0xfd, 0xf0], 'f64x2.sub': [0xfd, 0xf1], 'f64x2.mul': [0xfd, 0xf2],
  'i32x4.splat': [0xfd, 0x11], 'f32x4.splat': [0xfd, 0x13],
  'v128.and': [0xfd, 0x4e], 'v128.or': [0xfd, 0x50], 'v128.xor': [0xfd, 0x51], 'v128.bitselect': [0xfd, 0x52],
  'v128.andnot': [0xfd, 0x4f],
  'f32x4.eq': [0xfd, 0x41], 'f32x4.ne': [0xfd, 0x42], 'f32x4.lt': [0xfd, 0x43], 'f32x4.gt': [0xfd, 0x44],
  'f32x4.le': [0xfd, 0x45], 'f32x4.ge': [0xfd, 0x46],
  'f32x4.abs': [0xfd, 0xe0], 'f32x4.neg': [0xfd, 0xe1], 'f32x4.sqrt': [0xfd, 0xe3],
  'f32x4.add': [0xfd, 0xe4], 'f32x4.sub': [0xfd, 0xe5], 'f32x4.mul': [0xfd, 0xe6], 'f32x4.div': [0xfd, 0xe7],
  'f32x4.min': [0xfd, 0xe8], 'f32x4.max': [0xfd, 0xe9], 'f32x4.pmin': [0xfd, 0xea], 'f32x4.pmax': [0xfd, 0xeb],
  'f32.nearest': [0x90], 'f32.reinterpret_i32': [0xbe], 'i32.trunc_sat_f32_s': [0xfc, 0x00],
  'f32x4.nearest': [0xfd, 0x6a], 'i32x4.trunc_sat_f32x4_s': [0xfd, 0xf8],
  'i32x4.shl': [0xfd, 0xab], 'i32x4.add': [0xfd, 0xae],
  /** byte lanes of the first operand picked by the second's; indices ≥ 16 give 0 */
  'i8x16.swizzle': [0xfd, 0x0e],
  /** relaxed-simd: a·b + c with or without an intermediate rounding (operands a, b, c) */
  'f32x4.relaxed_madd': [0xfd, 0x105],
} as const;
export type PlainOp = keyof typeof PLAIN_OPS;

/** Loads and stores: opcode bytes and the natural alignment (log2 bytes) used as the alignment hint. */
const MEMORY_OPS = {
  'i32.load': [[0x28], 2], 'f32.load': [[0x2a], 2], 'i32.store': [[0x36], 2], 'f32.store': [[0x38], 2],
  'f64.load': [[0x2b], 3], 'f64.store': [[0x39], 3],
  'v128.load': [[0xfd, 0x00], 4], 'v128.store': [[0xfd, 0x0b], 4],
  'v128.load32_splat': [[0xfd, 0x09], 2], 'v128.load64_splat': [[0xfd, 0x0a], 3],
  'v128.load32_zero': [[0xfd, 0x5c], 2], 'v128.load64_zero': [[0xfd, 0x5d], 3],
} as const;
export type MemoryOp = keyof typeof MEMORY_OPS;

const LANE_OPS = {
  'f32x4.extract_lane': [0xfd, 0x1f], 'f32x4.replace_lane': [0xfd, 0x20],
  'i32x4.extract_lane': [0xfd, 0x1b], 'i32x4.replace_lane': [0xfd, 0x1c],
  'f64x2.extract_lane': [0xfd, 0x21],
} as const;
export type LaneOp = keyof typeof LANE_OPS;

function emitOpcode(w: ByteWriter, code: readonly number[]): void {
  w.byte(code[0]!);
  // prefixed opcodes (0xfc bulk memory, 0xfd SIMD) carry a LEB128 sub-opcode
  for (let i = 1; i < code.length; i++) w.u32(code[i]!);
}

export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** A branch target handed to the body of block/loop/if; `br(label)` computes the relative depth. */
export interface Label {
  readonly level: number;
}

/** Builds one function body. Methods return `this` so short sequences can be chained. */
export class FunctionBuilder {
  readonly params: readonly Local[];
  private readonly extraLocals: ValType[] = [];
  private readonly code = new ByteWriter();
  private depth = 0;

  /** simd: false refuses v128 locals and SIMD instructions (an engine without SIMD rejects the module) */
  constructor(readonly paramTypes: readonly ValType[], readonly resultTypes: readonly ValType[], private readonly simd = true) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  local(type: ValType): Local {
    if (type === 'v128' && !this.simd) throw new Error('assembler: a v128 local in a module built without SIMD');
    const l = { index: this.paramTypes.length + this.extraLocals.length, type };
    this.extraLocals.push(type);
    return l;
  }

  private opcode(code: readonly number[]): void {
    if (code[0] === 0xfd && !this.simd) throw new Error('assembler: a SIMD instruction in a module built without SIMD');
    emitOpcode(this.code, code);
  }

  // ---- variables and constants ----
  get(l: Local): this { this.code.byte(0x20).u32(l.index); return this; }
  set(l: Local): this { this.code.byte(0x21).u32(l.index); return this; }
  tee(l: Local): this { this.code.byte(0x22).u32(l.index); return this; }
  i32(v: number): this { this.code.byte(0x41).s32(v); return this; }
  f32(v: number): this { this.code.byte(0x43).f32(v); return this; }
  v128Const(bytes: ArrayLike<number>): this {
    if (bytes.length !== 16) throw new RangeError('assembler: v128.const needs 16 bytes');
    this.opcode([0xfd, 0x0c]);
    this.code.bytes(bytes);
    return this;
  }
  /** a v128 with four equal f32 lanes */
  f32x4Const(v: number): this {
    const b = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
    return this.v128Const(b);
  }

  // ---- instructions ----
  op(name: PlainOp): this { this.opcode(PLAIN_OPS[name]); return this; }
  /** a load or store with a constant byte offset (added to the address on the stack) */
  mem(name: MemoryOp, offset = 0): this {
    const [code, align] = MEMORY_OPS[name];
    this.opcode(code);
    this.code.u32(align).u32(offset);
    return this;
  }
  lane(name: LaneOp, lane: number): this {
    this.opcode(LANE_OPS[name]);
    this.code.byte(lane);
    return this;
  }
  /** i8x16.shuffle by f32 lanes: lanes 0–3 pick from the first operand, 4–7 from the second */
  f32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    this.opcode([0xfd, 0x0d]);
    for (const l of lanes) {
      if (!(l >= 0 && l < 8)) throw new RangeError(`assembler: shuffle lane ${l} out of range`);
      for (let b = 0; b < 4; b++) this.code.byte(l * 4 + b);
    }
    return this;
  }
  call(funcIndex: number): this { this.code.byte(0x10).u32(funcIndex); return this; }
  /** i32.atomic.rmw.add: [address, value] → the old value (threads proposal; address 4-aligned) */
  atomicAdd(offset = 0): this { this.code.byte(0xfe).u32(0x1e).u32(2).u32(offset); return this; }
  /** memory.copy: [dst, src, byteCount] on the stack */
  memoryCopy(): this { this.code.byte(0xfc).u32(10).byte(0).byte(0); return this; }
  /** memory.fill: [dst, byteValue, byteCount] on the stack */
  memoryFill(): this { this.code.byte(0xfc).u32(11).byte(0); return this; }

  // ---- structured control ----
  block(body: (exit: Label) => void): this { return this.structured(0x02, body); }
  /** branching to a loop's label jumps back to its start */
  loop(body: (top: Label) => void): this { return this.structured(0x03, body); }
  /** pops an i32 condition */
  if(then: (exit: Label) => void, otherwise?: (exit: Label) => void): this {
    const label = { level: this.depth };
    this.code.byte(0x04).byte(0x40);
    this.depth++;
    then(label);
    if (otherwise) { this.code.byte(0x05); otherwise(label); }
    this.depth--;
    this.code.byte(0x0b);
    return this;
  }
  br(label: Label): this { this.code.byte(0x0c).u32(this.relative(label)); return this; }
  brIf(label: Label): this { this.code.byte(0x0d).u32(this.relative(label)); return this; }

  private structured(opcode: number, body: (l: Label) => void): this {
    const label = { level: this.depth };
    this.code.byte(opcode).byte(0x40);
    this.depth++;
    body(label);
    this.depth--;
    this.code.byte(0x0b);
    return this;
  }

  private relative(label: Label): number {
    const rel = this.depth - 1 - label.level;
    if (rel < 0) throw new Error('assembler: branch to a label that is no longer open');
    return rel;
  }

  /** the body as the code section wants it: local declarations (run-length grouped), code, end */
  encode(): ByteWriter {
    if (this.depth !== 0) throw new Error('assembler: unbalanced blocks in function body');
    const body = new ByteWriter();
    const groups: Array<[number, ValType]> = [];
    for (const t of this.extraLocals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    body.u32(groups.length);
    for (const [count, t] of groups) body.u32(count).byte(VALTYPE_CODE[t]);
    body.bytes(this.code.toBytes());
    body.byte(0x0b);
    return body;
  }
}

export interface MemoryImport {
  module: string;
  name: string;
  /** pages of 64 KiB */
  initial: number;
  maximum: number;
  shared: boolean;
}

interface FunctionEntry {
  name: string;
  typeIndex: number;
  exported: boolean;
  builder?: FunctionBuilder;
}

/** A module with one imported memory and a list of functions (indices in declaration order). */
export class ModuleBuilder {
  /** simd: false makes every function refuse SIMD (see FunctionBuilder) */
  constructor(private readonly options: { simd?: boolean } = {}) {}

  private readonly types: string[] = [];
  private readonly typeSigs: Array<[readonly ValType[], readonly ValType[]]> = [];
  private readonly funcs: FunctionEntry[] = [];
  private memoryImport: MemoryImport | undefined;

  importMemory(m: MemoryImport): this {
    this.memoryImport = m;
    return this;
  }

  /** Declares a function so that others can call it before its body is defined; returns its index. */
  declare(name: string, params: readonly ValType[], results: readonly ValType[], exported = true): number {
    if (this.funcs.some((f) => f.name === name)) throw new Error(`assembler: function ${name} declared twice`);
    const key = `${params.join(',')}->${results.join(',')}`;
    let typeIndex = this.types.indexOf(key);
    if (typeIndex < 0) {
      typeIndex = this.types.length;
      this.types.push(key);
      this.typeSigs.push([params, results]);
    }
    this.funcs.push({ name, typeIndex, exported });
    return this.funcs.length - 1;
  }

  define(index: number, body: (f: FunctionBuilder, ...params: Local[]) => void): void {
    const entry = this.funcs[index];
    if (!entry) throw new Error(`assembler: no function ${index}`);
    if (entry.builder) throw new Error(`assembler: function ${entry.name} defined twice`);
    const [params, results] = this.typeSigs[entry.typeIndex]!;
    const f = new FunctionBuilder(params, results, this.options.simd ?? true);
    body(f, ...f.params);
    entry.builder = f;
  }

  /** declare + define */
  func(name: string, params: readonly ValType[], results: readonly ValType[],
    body: (f: FunctionBuilder, ...params: Local[]) => void, exported = true): number {
    const index = this.declare(name, params, results, exported);
    this.define(index, body);
    return index;
  }

  indexOf(name: string): number {
    const i = this.funcs.findIndex((f) => f.name === name);
    if (i < 0) throw new Error(`assembler: no function named ${name}`);
    return i;
  }

  build(): Uint8Array<ArrayBuffer> {
    const out = new ByteWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

    const typeSec = new ByteWriter().u32(this.typeSigs.length);
    for (const [params, results] of this.typeSigs) {
      typeSec.byte(0x60).u32(params.length);
      for (const p of params) typeSec.byte(VALTYPE_CODE[p]);
      typeSec.u32(results.length);
      for (const r of results) typeSec.byte(VALTYPE_CODE[r]);
    }
    out.byte(1).sized(typeSec);

    if (this.memoryImport) {
      const m = this.memoryImport;
      const imp = new ByteWriter().u32(1).name(m.module).name(m.name).byte(0x02);
      // limits flags: bit 0 = has maximum, bit 1 = shared (a shared memory must have a maximum)
      imp.byte(m.shared ? 0x03 : 0x01).u32(m.initial).u32(m.maximum);
      out.byte(2).sized(imp);
    }

    const funcSec = new ByteWriter().u32(this.funcs.length);
    for (const f of this.funcs) funcSec.u32(f.typeIndex);
    out.byte(3).sized(funcSec);

    const exported = this.funcs.map((f, i) => [f, i] as const).filter(([f]) => f.exported);
    const exportSec = new ByteWriter().u32(exported.length);
    for (const [f, i] of exported) exportSec.name(f.name).byte(0x00).u32(i);
    out.byte(7).sized(exportSec);

    const codeSec = new ByteWriter().u32(this.funcs.length);
    for (const f of this.funcs) {
      if (!f.builder) throw new Error(`assembler: function ${f.name} declared but never defined`);
      codeSec.sized(f.builder.encode());
    }
    out.byte(10).sized(codeSec);

    // the "name" custom section: function names, for profilers and stack traces
    const names = new ByteWriter().u32(this.funcs.length);
    this.funcs.forEach((f, i) => names.u32(i).name(f.name));
    const nameSec = new ByteWriter().name('name').byte(1).sized(names);
    out.byte(0).sized(nameSec);
    return out.toBytes();
  }
}
