import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as model from '../src/model/encoding/index.js';
import * as impl from '../src/impl/encoding/index.js';
import type { Comparison } from './harness.js';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);

/** A JSON document of the shape vector files have: nested objects, hex strings, ids. */
const sampleJson = JSON.stringify({
  cases: Array.from({ length: 40 }, (_, i) => ({
    id: `case-${i}`, requirements: ['ENC-HEX-FORMAT.1'], input: { data: model.bytesToHex(bytes(64)), n: i, flags: [true, false, null] },
    expected: { result: 'valid', output: { digest: model.bytesToHex(bytes(32)), text: 'é€\u{1f600}\n' } },
  })),
});

export const encodingComparisons = (): readonly Comparison[] => [
  ...[32, 1024, 65536].map((n) => {
    const data = bytes(n);
    return {
      name: `keccak-256 ${n} B`, unit: `hash ${n} bytes`,
      ours: { name: 'impl keccak256', run: () => impl.keccak256(data) },
      peer: { name: '@noble/hashes keccak_256', run: () => keccak_256(data) },
    };
  }),
  ...[32, 65536].map((n) => {
    const data = bytes(n);
    return {
      name: `sha256 ${n} B`, unit: `hash ${n} bytes`,
      ours: { name: 'impl sha256 (node:crypto)', run: () => impl.sha256(data) },
      peer: { name: '@noble/hashes sha256', run: () => nobleSha256(data) },
    };
  }),
  {
    name: 'canonical JSON of a vector-like document', unit: `canonicalize ${sampleJson.length} chars`,
    ours: { name: 'impl single-pass canonicalizer', run: () => impl.canonicalJsonOfText({ text: sampleJson }) },
    peer: { name: 'model parse + canonicalize', run: () => model.canonicalJsonOfText({ text: sampleJson }) },
  },
];
