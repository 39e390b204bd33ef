/**
 * Writing WebAssembly binaries, and Node's WebAssembly API typed for what the implementation uses
 * of it (the project's TypeScript lib has no DOM types). Shared by the dMIR compiler and the
 * Keccak-256 permutation module.
 */

/** Unsigned LEB128 of a non-negative safe integer. */
export const uleb = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};

/** Signed LEB128. */
export const sleb = (n: bigint): number[] => {
  const out: number[] = [];
  let v = n;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};

/** Appends without spreading, which would overflow the host stack on very long byte runs. */
export function append(out: number[], xs: readonly number[]): void {
  for (let i = 0; i < xs.length; i++) out.push(xs[i]!);
}

/** A vector: its length, then each element. */
export const vec = <T>(xs: readonly T[], f: (x: T) => number[]): number[] => {
  const out = uleb(xs.length);
  for (const x of xs) append(out, f(x));
  return out;
};

/** A name: its UTF-8 length, then its bytes. */
export const str = (s: string): number[] => { const b = new TextEncoder().encode(s); return [...uleb(b.length), ...b]; };

/** A section: its id, its size, then its body. */
export const section = (id: number, body: number[]): number[] => { const out = [id, ...uleb(body.length)]; append(out, body); return out; };

/** The module header: magic and version 1. */
export const HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export interface WasmMemory { readonly buffer: ArrayBuffer; grow(delta: number): number }
export interface WasmInstance { readonly exports: Record<string, unknown> }
/** A compiled WebAssembly module (opaque). */
export type CompiledModule = object;
export interface NodeWasm {
  readonly Module: new (bytes: Uint8Array) => CompiledModule;
  readonly Instance: new (module: CompiledModule, imports?: object) => WasmInstance;
  readonly Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<CompiledModule>;
}
export const WA = (globalThis as unknown as { readonly WebAssembly: NodeWasm }).WebAssembly;
