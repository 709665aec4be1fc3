/**
 * Uniform parameter blocks. Every kernel reads a `Params` struct at binding 0; this writer lays out
 * the matching bytes field by field. Fields are 4-byte scalars, or vec4 arrays that start on a
 * 16-byte boundary (WGSL's uniform layout rules), written in the order the struct declares them.
 */
export class ParamWriter {
  readonly #buffer = new ArrayBuffer(512);
  readonly #u32 = new Uint32Array(this.#buffer);
  readonly #i32 = new Int32Array(this.#buffer);
  readonly #f32 = new Float32Array(this.#buffer);
  #words = 0;

  #next(): number {
    if (this.#words >= this.#u32.length) throw new Error('webgpu: kernel parameter block over 512 bytes');
    return this.#words++;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`webgpu: parameter ${v} is not a u32`);
    this.#u32[this.#next()] = v;
    return this;
  }

  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new Error(`webgpu: parameter ${v} is not an i32`);
    this.#i32[this.#next()] = v;
    return this;
  }

  f32(v: number): this {
    this.#f32[this.#next()] = v;
    return this;
  }

  /** Raw bits (fill values of either dtype). */
  bits(v: number): this {
    this.#u32[this.#next()] = v >>> 0;
    return this;
  }

  /** array<vec4<u32>, n> or array<vec4<i32>, n> holding `values` padded with `pad` */
  vec4s(values: readonly number[], count: number, signed: boolean, pad = 0): this {
    this.align16();
    for (let i = 0; i < count * 4; i++) {
      const v = i < values.length ? values[i]! : pad;
      if (signed) this.i32(v); else this.u32(v);
    }
    return this;
  }

  align16(): this {
    while (this.#words % 4 !== 0) this.#u32[this.#words++] = 0;
    return this;
  }

  /** The block, padded to a multiple of 16 bytes. */
  bytes(): Uint8Array {
    this.align16();
    return new Uint8Array(this.#buffer, 0, Math.max(16, this.#words * 4));
  }
}

export function params(): ParamWriter {
  return new ParamWriter();
}
