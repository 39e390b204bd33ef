/**
 * A bare message call (EVM-CALL-EXECUTE.1) answered by @ethereumjs/evm configured for Cancun.
 *
 * `ethereumjsRunner` is written to be self-contained: it receives the library as an argument and
 * refers to nothing else at module level, so the same source runs on the main thread (async, for
 * tests) and inside a worker thread that the synchronous adapter in `./index.ts` blocks on.
 *
 * A runner builds one Common and one EVM and reuses them for every call, resetting the in-memory
 * state, the journal and the transient storage between calls: building an EVM costs about as much as
 * running a small generated program, and the differential tests run thousands of them.
 */
import type * as EvmLib from '@ethereumjs/evm';
import type * as CommonLib from '@ethereumjs/common';
import type * as UtilLib from '@ethereumjs/util';

/**
 * The KZG proof check @ethereumjs/evm's point evaluation precompile (0x0a) calls: hex commitment, z,
 * y and proof. The library ships none; without one the precompile throws instead of answering.
 */
export interface KzgVerifier { verifyProof(commitment: string, z: string, y: string, proof: string): boolean }

export type EthereumjsLib = Pick<typeof EvmLib, 'createEVM'> & Pick<typeof CommonLib, 'Common' | 'Mainnet' | 'Hardfork'> & Pick<typeof UtilLib, 'Address' | 'Account'>
  & { readonly kzg?: KzgVerifier };

/** One account of a pre- or post-state; storage holds non-zero slots only, sorted by key. */
export interface PlainAccount {
  readonly address: string;
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly code: Uint8Array;
  readonly storage: readonly (readonly [bigint, bigint])[];
}

export interface PlainBlock {
  readonly coinbase: string;
  readonly number: bigint;
  readonly timestamp: bigint;
  readonly gasLimit: bigint;
  readonly baseFee: bigint;
  readonly prevRandao: bigint;
}

export interface PlainCallInput {
  readonly accounts: readonly PlainAccount[];
  readonly block: PlainBlock;
  readonly gasPrice: bigint;
  readonly call: { readonly caller: string; readonly to: string; readonly value: bigint; readonly data: Uint8Array; readonly gas: bigint };
}

export interface PlainLog { readonly address: string; readonly topics: readonly bigint[]; readonly data: Uint8Array }

export interface PlainCallOutput {
  readonly status: 'success' | 'revert' | 'halt';
  readonly output: Uint8Array;
  readonly gasUsed: bigint;
  readonly refund: bigint;
  readonly logs: readonly PlainLog[];
  /** Every existing account after the call, sorted by address. */
  readonly accounts: readonly PlainAccount[];
}

/** The state manager's internal maps, read to enumerate the post-state (the class has no dump method). */
interface SimpleStateInternals {
  topAccountStack(): Map<string, { nonce: bigint; balance: bigint } | undefined>;
  topStorageStack(): Map<string, Uint8Array>;
  /** Emptied between calls so that a reused EVM starts from an empty state. */
  accountStack: Map<string, unknown>[];
  codeStack: Map<string, unknown>[];
  storageStack: Map<string, unknown>[];
  checkpointSync(): void;
  readonly originalStorageCache: { clear(): void };
}

/**
 * A runner of calls on one reused Cancun EVM; each call starts from an empty in-memory state. Calls
 * must not overlap (await each before starting the next). Must stay self-contained (see the file
 * comment).
 */
export const ethereumjsRunner = (lib: EthereumjsLib): ((input: PlainCallInput) => Promise<PlainCallOutput>) => {
  const toBytes = (hex: string): Uint8Array => {
    const h = hex.startsWith('0x') ? hex.slice(2) : hex;
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  };
  const word = (v: bigint): Uint8Array => {
    const out = new Uint8Array(32);
    let x = v;
    for (let i = 31; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
    return out;
  };
  const minimal = (v: bigint): Uint8Array => { const w = word(v); let i = 0; while (i < 32 && w[i] === 0) i++; return w.slice(i); };
  const toBig = (b: Uint8Array): bigint => { let v = 0n; for (const x of b) v = (v << 8n) | BigInt(x); return v; };
  const hexOf = (b: Uint8Array): string => '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const addr = (a: string): InstanceType<EthereumjsLib['Address']> => new lib.Address(toBytes(a));

  const common = new lib.Common({
    chain: lib.Mainnet, hardfork: lib.Hardfork.Cancun,
    ...(lib.kzg === undefined ? {} : { customCrypto: { kzg: lib.kzg as NonNullable<NonNullable<ConstructorParameters<EthereumjsLib['Common']>[0]['customCrypto']>['kzg']> } }),
  });
  let made: Promise<Awaited<ReturnType<EthereumjsLib['createEVM']>>> | undefined;
  return async (input) => {
    const evm = await (made ??= lib.createEVM({ common }));
    const sm = evm.stateManager;
    const internals = sm as unknown as SimpleStateInternals;
    internals.accountStack = [];
    internals.codeStack = [];
    internals.storageStack = [];
    internals.checkpointSync();
    internals.originalStorageCache.clear();
    evm.transientStorage.clear();
    await evm.journal.cleanup();
    for (const a of input.accounts) {
      const address = addr(a.address);
      await sm.putAccount(address, new lib.Account(a.nonce, a.balance));
      if (a.code.length > 0) await sm.putCode(address, a.code);
      for (const [k, v] of a.storage) if (v !== 0n) await sm.putStorage(address, word(k), minimal(v));
    }
    const warm = [input.call.caller, input.call.to, input.block.coinbase];
    for (let i = 1; i <= 10; i++) warm.push('0x' + i.toString(16).padStart(40, '0'));
    for (const a of warm) evm.journal.addAlwaysWarmAddress(a);

    const b = input.block;
    const block = {
      header: {
        number: b.number, coinbase: addr(b.coinbase), timestamp: b.timestamp, difficulty: 0n, prevRandao: word(b.prevRandao),
        gasLimit: b.gasLimit, baseFeePerGas: b.baseFee, getBlobGasPrice: () => 1n,
      },
  };
  const c = input.call;
  const res = await evm.runCall({
    block, gasPrice: input.gasPrice, origin: addr(c.caller), caller: addr(c.caller), to: addr(c.to), value: c.value, data: c.data,
    gasLimit: c.gas, skipNonceIncrement: true,
  });
  const ex = res.execResult;
  const err = ex.exceptionError;
  const status = err === undefined ? 'success' : err.error === 'revert' ? 'revert' : 'halt';
  if (status === 'success') {
    // EIP-6780: only accounts created in this call are deleted by SELFDESTRUCT (as the VM does per transaction).
    const created = ex.createdAddresses ?? new Set<string>();
    for (const a of (ex.selfdestruct ?? new Map<string, string>()).keys()) if (created.has(a)) await evm.journal.deleteAccount(addr(a));
  }
  await evm.journal.cleanup();

  const storage = internals.topStorageStack();
  const accounts: PlainAccount[] = [];
  for (const [address, acc] of internals.topAccountStack()) {
    if (acc === undefined) continue;
    const a = address.toLowerCase();
    const slots: (readonly [bigint, bigint])[] = [];
    for (const [key, value] of storage) {
      const sep = key.indexOf('_');
      if (key.slice(0, sep).toLowerCase() !== a) continue;
      const v = toBig(value);
      if (v !== 0n) slots.push([BigInt(key.slice(sep + 1)), v]);
    }
    slots.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    accounts.push({ address: a, nonce: acc.nonce, balance: acc.balance, code: await sm.getCode(addr(a)), storage: slots });
  }
  accounts.sort((x, y) => (x.address < y.address ? -1 : 1));
  const logs: PlainLog[] = (ex.logs ?? []).map(([address, topics, data]) => ({ address: hexOf(address), topics: topics.map(toBig), data }));
  return {
    status, output: ex.returnValue, gasUsed: ex.executionGasUsed, refund: status === 'success' ? (ex.gasRefund ?? 0n) : 0n,
    logs: status === 'success' ? logs : [], accounts,
  };
  };
};

/** Runs one call on a fresh runner (a fresh Cancun EVM over a fresh in-memory state). */
export const runCallOnEthereumjs = (lib: EthereumjsLib, input: PlainCallInput): Promise<PlainCallOutput> => ethereumjsRunner(lib)(input);
