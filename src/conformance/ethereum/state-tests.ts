/**
 * Runs Ethereum GeneralStateTests (the JSON fillers' output) against the EVM model for the Cancun
 * fork: for every post entry it builds the indexed transaction, executes it on the pre-state and
 * compares the state root and the logs hash. The suite is not shipped with the package; the runner
 * takes its directory as an argument.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, keccak256, utf8 } from '../../model/encoding/index.js';
import {
  bytesToAddress, executeTransaction, logsHash, stateRoot,
  type Account, type Address, type BlockHeaderEnv, type Transaction, type WorldState,
} from '../../model/evm/index.js';

export type Verdict = 'pass' | 'fail' | 'skip';
export interface CaseResult { readonly file: string; readonly name: string; readonly index: number; readonly verdict: Verdict; readonly reason: string }
export interface DirectorySummary { readonly directory: string; readonly pass: number; readonly fail: number; readonly skip: number }
export interface StateTestReport { readonly cases: readonly CaseResult[]; readonly directories: readonly DirectorySummary[] }

export const FORK = 'Cancun';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const big = (v: unknown): bigint => (typeof v === 'string' && v !== '' ? BigInt(v.startsWith('0x') || v.startsWith('0X') ? v : v) : 0n);
const bytes = (v: unknown): Uint8Array => {
  if (typeof v !== 'string') return new Uint8Array(0);
  const h = v.startsWith('0x') ? v.slice(2) : v;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
};
const addr = (v: unknown): Address => (typeof v === 'string' ? '0x' + v.toLowerCase().replace(/^0x/, '').padStart(40, '0') : '0x' + '0'.repeat(40));

/** Parses a test's pre-state into the model's world state (zero storage values are absent). */
export const parsePre = (pre: Json): WorldState => {
  const m = new Map<Address, Account>();
  for (const [a, raw] of Object.entries(pre)) {
    if (!isObj(raw)) continue;
    const storage = new Map<bigint, bigint>();
    if (isObj(raw['storage'])) for (const [k, v] of Object.entries(raw['storage'])) { const val = big(v); if (val !== 0n) storage.set(big(k), val); }
    m.set(addr(a), { nonce: big(raw['nonce']), balance: big(raw['balance']), code: bytes(raw['code']), storage });
  }
  return m;
};

/** The block environment of a state test; BLOCKHASH(n) is keccak256 of the decimal text of n, as the reference runners use. */
export const parseEnv = (env: Json): BlockHeaderEnv => {
  const number = big(env['currentNumber']);
  const blockHashes: bigint[] = [];
  for (let n = number > 256n ? number - 256n : 0n; n < number; n++) blockHashes.push(BigInt(bytesToHex(keccak256(utf8(n.toString())))));
  return {
    coinbase: addr(env['currentCoinbase']), number, timestamp: big(env['currentTimestamp']), gasLimit: big(env['currentGasLimit']),
    baseFee: big(env['currentBaseFee']), prevRandao: big(env['currentRandom'] ?? env['currentDifficulty']), chainId: 1n,
    blockHashes, excessBlobGas: big(env['currentExcessBlobGas']),
  };
};

const senderOf = (tx: Json): Address => {
  if (typeof tx['sender'] === 'string') return addr(tx['sender']);
  const pub = secp256k1.getPublicKey(bytes(tx['secretKey']), false);
  return bytesToAddress(keccak256(pub.subarray(1)).subarray(12));
};

/** Builds the transaction selected by a post entry's data, gas and value indexes. */
export const buildTransaction = (tx: Json, indexes: { data: number; gas: number; value: number }): Transaction => {
  const pick = (k: string, i: number): unknown => { const a = tx[k]; return Array.isArray(a) ? a[i] : undefined; };
  const lists = tx['accessLists'];
  const al = Array.isArray(lists) ? lists[indexes.data] : undefined;
  const accessList = Array.isArray(al) ? al.filter(isObj).map((e) => ({ address: addr(e['address']), storageKeys: Array.isArray(e['storageKeys']) ? e['storageKeys'].map(big) : [] })) : [];
  const fee: Transaction['fee'] = tx['maxFeePerGas'] !== undefined
    ? { kind: 'dynamic', maxFeePerGas: big(tx['maxFeePerGas']), maxPriorityFeePerGas: big(tx['maxPriorityFeePerGas']) }
    : { kind: 'legacy', gasPrice: big(tx['gasPrice']) };
  return {
    sender: senderOf(tx), to: typeof tx['to'] === 'string' && tx['to'] !== '' ? addr(tx['to']) : null, nonce: big(tx['nonce']),
    gasLimit: big(pick('gasLimit', indexes.gas)), value: big(pick('value', indexes.value)), data: bytes(pick('data', indexes.data)),
    fee, accessList, blobHashes: Array.isArray(tx['blobVersionedHashes']) ? tx['blobVersionedHashes'].map(big) : [], maxFeePerBlobGas: big(tx['maxFeePerBlobGas']),
  };
};

/** Runs one test (one name in a file) for the Cancun fork. */
export const runStateTest = (file: string, name: string, test: Json): CaseResult[] => {
  const post = isObj(test['post']) ? test['post'][FORK] : undefined;
  if (!Array.isArray(post)) return [{ file, name, index: -1, verdict: 'skip', reason: `no ${FORK} post state` }];
  const pre = parsePre(isObj(test['pre']) ? test['pre'] : {});
  const env = parseEnv(isObj(test['env']) ? test['env'] : {});
  const txJson = isObj(test['transaction']) ? test['transaction'] : {};
  return post.map((entry: unknown, index): CaseResult => {
    if (!isObj(entry) || !isObj(entry['indexes'])) return { file, name, index, verdict: 'fail', reason: 'malformed post entry' };
    const ix = entry['indexes'];
    const tx = buildTransaction(txJson, { data: Number(ix['data'] ?? 0), gas: Number(ix['gas'] ?? 0), value: Number(ix['value'] ?? 0) });
    const r = executeTransaction(pre, env, tx);
    const expectException = typeof entry['expectException'] === 'string' ? entry['expectException'] : null;
    let root: string, logs: string;
    if (!r.ok) {
      // Only an invalid transaction (Evm.Tx.*) is a rejection; any other failure of the model is a failure of the case.
      if (!r.error.code.startsWith('Evm.Tx.')) return { file, name, index, verdict: 'fail', reason: `model failure: ${r.error.code}: ${r.error.message}` };
      if (expectException === null) return { file, name, index, verdict: 'fail', reason: `transaction rejected: ${r.error.code}: ${r.error.message}` };
      root = bytesToHex(stateRoot(pre));
      logs = bytesToHex(logsHash([]));
    } else {
      if (expectException !== null) return { file, name, index, verdict: 'fail', reason: `expected exception ${expectException} but the transaction was valid` };
      root = bytesToHex(stateRoot(r.value.state));
      logs = bytesToHex(logsHash(r.value.logs.map((l) => ({ address: bytes(l.address), topics: l.topics, data: l.data }))));
    }
    const wantRoot = String(entry['hash']).toLowerCase(), wantLogs = String(entry['logs']).toLowerCase();
    if (root !== wantRoot) return { file, name, index, verdict: 'fail', reason: `state root ${root} != ${wantRoot}` };
    if (logs !== wantLogs) return { file, name, index, verdict: 'fail', reason: `logs hash ${logs} != ${wantLogs}` };
    return { file, name, index, verdict: 'pass', reason: '' };
  });
};

/** The JSON files under `dir`, recursively, sorted by path. */
export const listJson = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listJson(p)));
    else if (e.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
};

/** Runs every JSON file under `root`; `filter` keeps files whose relative path contains it. */
export const runStateTestDirectory = async (root: string, filter?: string): Promise<StateTestReport> => {
  const cases: CaseResult[] = [];
  for (const path of await listJson(root)) {
    const rel = relative(root, path);
    if (filter !== undefined && !rel.includes(filter)) continue;
    let parsed: unknown;
    const text = await readFile(path, 'utf8');
    if (text.trim() === '') { cases.push({ file: rel, name: '', index: -1, verdict: 'fail', reason: 'empty file (the copy of the suite is truncated)' }); continue; }
    try { parsed = JSON.parse(text); } catch (e) { cases.push({ file: rel, name: '', index: -1, verdict: 'fail', reason: `not JSON: ${String(e)}` }); continue; }
    if (!isObj(parsed)) continue;
    for (const [name, test] of Object.entries(parsed)) {
      if (!isObj(test)) continue;
      try { cases.push(...runStateTest(rel, name, test)); }
      catch (e) { cases.push({ file: rel, name, index: -1, verdict: 'fail', reason: `runner error: ${String(e)}` }); }
    }
  }
  const byDir = new Map<string, { pass: number; fail: number; skip: number }>();
  for (const c of cases) {
    const d = c.file.includes('/') ? c.file.slice(0, c.file.lastIndexOf('/')) : '.';
    const s = byDir.get(d) ?? { pass: 0, fail: 0, skip: 0 };
    s[c.verdict]++;
    byDir.set(d, s);
  }
  return { cases, directories: [...byDir].sort(([a], [b]) => a.localeCompare(b)).map(([directory, s]) => ({ directory, ...s })) };
};
