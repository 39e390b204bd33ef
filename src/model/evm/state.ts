/**
 * World state as immutable values: a map from address to account, each account holding its
 * storage as a map. Every write returns a new state, so a snapshot is just the old reference and a
 * revert is dropping the new one.
 */
import { keccak256 } from '../encoding/index.js';
import { bigintToBytes, rlpEncode, wordBytes } from './rlp.js';
import { EMPTY_TRIE_ROOT, trieRoot } from './trie.js';

/** An address as 0x-prefixed lower-case hex of 20 bytes: the map key of the world state. */
export type Address = string;

export interface Account {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly code: Uint8Array;
  /** Storage slots; a zero value is never stored. */
  readonly storage: ReadonlyMap<bigint, bigint>;
}

export type WorldState = ReadonlyMap<Address, Account>;

export const EMPTY_ACCOUNT: Account = { nonce: 0n, balance: 0n, code: new Uint8Array(0), storage: new Map() };

export const getAccount = (s: WorldState, a: Address): Account => s.get(a) ?? EMPTY_ACCOUNT;
export const accountExists = (s: WorldState, a: Address): boolean => s.has(a);

/** An account is empty when it has no code, zero nonce and zero balance (EIP-161). @spec EVM-STATE-EMPTY.1 */
export const isEmpty = (acc: Account): boolean => acc.nonce === 0n && acc.balance === 0n && acc.code.length === 0;
export const existsAndIsEmpty = (s: WorldState, a: Address): boolean => { const acc = s.get(a); return acc !== undefined && isEmpty(acc); };
/** Alive: exists and is not empty; CALL and SELFDESTRUCT charge account creation for a dead target. */
export const isAlive = (s: WorldState, a: Address): boolean => { const acc = s.get(a); return acc !== undefined && !isEmpty(acc); };

export const setAccount = (s: WorldState, a: Address, acc: Account): WorldState => new Map(s).set(a, acc);
export const deleteAccount = (s: WorldState, a: Address): WorldState => { if (!s.has(a)) return s; const m = new Map(s); m.delete(a); return m; };
export const modifyAccount = (s: WorldState, a: Address, f: (acc: Account) => Account): WorldState => setAccount(s, a, f(getAccount(s, a)));
/** Creates an empty account where none exists (EELS `touch_account`). */
export const touchAccount = (s: WorldState, a: Address): WorldState => (s.has(a) ? s : setAccount(s, a, EMPTY_ACCOUNT));

/**
 * Storage read on demand from outside the world state, for an account whose slots live elsewhere
 * (a pipeline contract's slots are keys of the pipeline's state, PIPE-EVM-HOST.1): the slots
 * written since, zeros included, over `read`. Immutable like any storage map; `size` and iteration
 * cover the written slots only.
 */
export class LazyStorage implements ReadonlyMap<bigint, bigint> {
  constructor(private readonly read: (slot: bigint) => bigint, readonly written: ReadonlyMap<bigint, bigint> = new Map()) {}
  get(slot: bigint): bigint { return this.written.get(slot) ?? this.read(slot); }
  has(slot: bigint): boolean { return this.get(slot) !== 0n; }
  with(slot: bigint, value: bigint): LazyStorage { return new LazyStorage(this.read, new Map(this.written).set(slot, value)); }
  get size(): number { return this.written.size; }
  forEach(f: (value: bigint, slot: bigint, map: ReadonlyMap<bigint, bigint>) => void): void { this.written.forEach((v, k) => f(v, k, this)); }
  entries(): ReturnType<ReadonlyMap<bigint, bigint>['entries']> { return this.written.entries(); }
  keys(): ReturnType<ReadonlyMap<bigint, bigint>['keys']> { return this.written.keys(); }
  values(): ReturnType<ReadonlyMap<bigint, bigint>['values']> { return this.written.values(); }
  [Symbol.iterator](): ReturnType<ReadonlyMap<bigint, bigint>['entries']> { return this.written.entries(); }
}

export const getStorage = (s: WorldState, a: Address, key: bigint): bigint => s.get(a)?.storage.get(key) ?? 0n;
export const setStorage = (s: WorldState, a: Address, key: bigint, value: bigint): WorldState =>
  modifyAccount(s, a, (acc) => {
    if (acc.storage instanceof LazyStorage) return { ...acc, storage: acc.storage.with(key, value) };
    const st = new Map(acc.storage);
    if (value === 0n) st.delete(key); else st.set(key, value);
    return { ...acc, storage: st };
  });

/** Moves wei between accounts; the caller has checked the balance. */
export const moveEther = (s: WorldState, from: Address, to: Address, amount: bigint): WorldState => {
  const s1 = modifyAccount(s, from, (acc) => ({ ...acc, balance: acc.balance - amount }));
  return modifyAccount(s1, to, (acc) => ({ ...acc, balance: acc.balance + amount }));
};

export const addressToBytes = (a: Address): Uint8Array => {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = parseInt(a.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
};
export const bytesToAddress = (b: Uint8Array): Address => '0x' + Array.from(b.slice(-20), (x) => x.toString(16).padStart(2, '0')).join('').padStart(40, '0');
export const bigintToAddress = (v: bigint): Address => '0x' + (v & ((1n << 160n) - 1n)).toString(16).padStart(40, '0');
export const addressToBigint = (a: Address): bigint => BigInt(a);


/** The storage root of one account: a secure trie from keccak(slot) to rlp(value). @spec EVM-STATE-ROOT.1 */
export const storageRoot = (acc: Account): Uint8Array =>
  acc.storage.size === 0 ? EMPTY_TRIE_ROOT : trieRoot([...acc.storage].map(([k, v]) => [keccak256(wordBytes(k)), rlpEncode(bigintToBytes(v))] as const));

/**
 * The state root: a secure trie from keccak(address) to rlp([nonce, balance, storageRoot, codeHash]).
 *
 * @spec EVM-STATE-ROOT.1
 */
export const stateRoot = (s: WorldState): Uint8Array =>
  trieRoot([...s].map(([a, acc]) => [
    keccak256(addressToBytes(a)),
    rlpEncode([bigintToBytes(acc.nonce), bigintToBytes(acc.balance), storageRoot(acc), keccak256(acc.code)]),
  ] as const));
