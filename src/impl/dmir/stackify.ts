/**
 * Control-flow analysis for emitting structured WebAssembly from a dMIR function's basic blocks,
 * after N. Ramsey, "Beyond Relooper: recursive translation of unstructured control flow to
 * structured control flow" (ICFP 2022). In a reducible graph every block is placed by its
 * dominator-tree parent: a *loop header* (target of a back edge) is wrapped in `loop`, a *merge
 * node* (two or more forward in-edges) follows a `block` opened by its immediate dominator, and
 * any other block is emitted inline where its only forward predecessor branches to it.
 */
import type { DefinedFunc, TrapCode } from '../../model/dmir/ir.js';

/** An exception block (no statements, a trap terminator): a branch to it is compiled as the trap itself. */
export const trapOfBlock = (f: DefinedFunc, b: number): TrapCode | null => {
  const blk = f.blocks[b]!;
  return blk.term.op === 'trap' && blk.stmts.length === 0 ? blk.term.code : null;
};

/** The successor lists of a function's blocks, leaving out exception blocks. */
export const blockSuccessors = (f: DefinedFunc): number[][] =>
  f.blocks.map((b) => {
    const t = b.term;
    const all = t.op === 'br' ? [t.target] : t.op === 'br_if' ? [t.then, t.else] : t.op === 'switch' ? [...t.targets, t.default] : [];
    return all.filter((s) => trapOfBlock(f, s) === null);
  });

export interface Shape {
  /** Blocks reachable from the entry, in reverse postorder. */
  readonly order: readonly number[];
  /** Reverse-postorder number of each block, or -1 when it is unreachable. */
  readonly rpo: Int32Array;
  /** 1 when some edge from a block at or after it in reverse postorder enters it. */
  readonly loopHeader: Uint8Array;
  /** 1 when it has at least two forward in-edges (counted with multiplicity). */
  readonly merge: Uint8Array;
  /** Per block: its dominator-tree children that are merge nodes, highest reverse-postorder number first. */
  readonly mergeChildren: readonly (readonly number[])[];
}

/**
 * Analyses a graph given by its successor lists (block 0 is the entry). Returns null when the
 * graph is irreducible (a retreating edge whose target does not dominate its source), where the
 * structured translation does not apply.
 */
export const analyse = (succs: readonly (readonly number[])[]): Shape | null => {
  const n = succs.length;
  const rpo = new Int32Array(n).fill(-1);
  // Iterative depth-first search for the postorder: deep graphs must not exhaust the host stack.
  const state = new Uint8Array(n);
  const post: number[] = [];
  const stackNode: number[] = [0];
  const stackNext: number[] = [0];
  state[0] = 1;
  while (stackNode.length > 0) {
    const top = stackNode.length - 1;
    const b = stackNode[top]!;
    const i = stackNext[top]!;
    const ss = succs[b]!;
    if (i < ss.length) {
      stackNext[top] = i + 1;
      const s = ss[i]!;
      if (state[s] === 0) {
        state[s] = 1;
        stackNode.push(s);
        stackNext.push(0);
      }
    } else {
      post.push(b);
      stackNode.pop();
      stackNext.pop();
    }
  }
  const order = post.reverse();
  order.forEach((b, i) => { rpo[b] = i; });

  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const b of order) for (const s of succs[b]!) preds[s]!.push(b);

  // Dominators by the iterative algorithm of Cooper, Harvey and Kennedy over reverse postorder.
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a0: number, b0: number): number => {
    let a = a0;
    let b = b0;
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let k = 1; k < order.length; k++) {
      const b = order[k]!;
      let d = -1;
      for (const p of preds[b]!) {
        if (idom[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== idom[b]) {
        idom[b] = d;
        changed = true;
      }
    }
  }

  const loopHeader = new Uint8Array(n);
  const forwardIn = new Int32Array(n);
  for (const u of order) {
    for (const v of succs[u]!) {
      if (rpo[v]! > rpo[u]!) {
        forwardIn[v] = forwardIn[v]! + 1;
        continue;
      }
      loopHeader[v] = 1;
      // Reducible only if the header dominates the edge's source.
      let x = u;
      while (rpo[x]! > rpo[v]!) x = idom[x]!;
      if (x !== v) return null;
    }
  }
  const merge = new Uint8Array(n);
  const mergeChildren: number[][] = Array.from({ length: n }, () => []);
  for (let k = 1; k < order.length; k++) {
    const b = order[k]!;
    if (forwardIn[b]! >= 2) {
      merge[b] = 1;
      mergeChildren[idom[b]!]!.push(b);
    }
  }
  for (const c of mergeChildren) c.reverse();
  return { order, rpo, loopHeader, merge, mergeChildren };
};
