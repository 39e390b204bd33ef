#!/usr/bin/env node
// A third-party conformance client that answers the "evm/execute" vector kind with @ethereumjs/evm
// (configured for Cancun). It speaks the runner's JSON Lines protocol (pharos-vectors-jsonl/1) on
// stdin/stdout. The adapter itself is src/impl/evm/ethereumjs.ts (`runCallOnEthereumjs`), a
// self-contained function over the library, loaded from the package's build output (`npm run build`).
// One runner (one reused EVM) answers every case, one at a time; the point evaluation precompile
// (0x0a) checks proofs with micro-eth-signer's KZG, since @ethereumjs/evm ships no KZG library.

import { createInterface } from 'node:readline';
import { ethereumjsRunner } from '../../../dist/src/impl/evm/ethereumjs.js';
import { ethereumjsLib } from '../../../dist/src/impl/evm/ethereumjs-lib.js';

const run = ethereumjsRunner(ethereumjsLib);
const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

// Vector encoding: integers as decimal strings, bytes as 0x-hex, topics as 32-byte 0x-hex words.
const bytes = (h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
const hex = (b) => `0x${Buffer.from(b).toString('hex')}`;
const account = (a) => ({ address: a.address, nonce: BigInt(a.nonce), balance: BigInt(a.balance), code: bytes(a.code), storage: a.storage.map(([k, v]) => [BigInt(k), BigInt(v)]) });
const decode = (x) => ({
  accounts: x.accounts.map(account),
  block: { coinbase: x.block.coinbase, number: BigInt(x.block.number), timestamp: BigInt(x.block.timestamp), gasLimit: BigInt(x.block.gasLimit), baseFee: BigInt(x.block.baseFee), prevRandao: BigInt(x.block.prevRandao) },
  gasPrice: BigInt(x.gasPrice),
  call: { caller: x.call.caller, to: x.call.to, value: BigInt(x.call.value), data: bytes(x.call.data), gas: BigInt(x.call.gas) },
});
const encode = (o) => ({
  status: o.status, output: hex(o.output), gasUsed: String(o.gasUsed), refund: String(o.refund),
  logs: o.logs.map((l) => ({ address: l.address, topics: l.topics.map((t) => `0x${t.toString(16).padStart(64, '0')}`), data: hex(l.data) })),
  accounts: o.accounts.map((a) => ({ address: a.address, nonce: String(a.nonce), balance: String(a.balance), code: hex(a.code), storage: a.storage.map(([k, v]) => [String(k), String(v)]) })),
});

const KINDS = { 'evm/execute': async (input) => encode(await run(decode(input))) };

let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.type === 'hello') {
    send({ type: 'hello', name: 'pharos-ethereumjs-evm-client', version: '0.1.0', kinds: Object.keys(KINDS) });
    return;
  }
  queue = queue.then(async () => {
    try {
      send({ type: 'result', seq: msg.seq, ok: true, output: await KINDS[msg.kind](msg.input) });
    } catch (e) {
      send({ type: 'result', seq: msg.seq, ok: false, error: 'Client.EXCEPTION', message: String(e?.stack ?? e) });
    }
  });
});
