/**
 * Runs a state-test directory in a worker thread: the model recurses once per call depth, and a
 * call chain 1024 frames deep needs more stack than the main thread has.
 */
import { parentPort, workerData, Worker } from 'node:worker_threads';
import { runStateTestDirectory, type StateTestReport } from './state-tests.js';

const data = workerData as { readonly root?: string; readonly filter?: string } | null;
if (parentPort !== null && data !== null && typeof data.root === 'string') {
  const port = parentPort;
  void runStateTestDirectory(data.root, data.filter).then((r) => port.postMessage(r));
}

/** Runs `runStateTestDirectory` in a worker with a 512 MiB stack. */
export const runStateTestsInWorker = (root: string, filter?: string): Promise<StateTestReport> =>
  new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { root, filter }, resourceLimits: { stackSizeMb: 512 } });
    w.once('message', (r: StateTestReport) => { resolve(r); void w.terminate(); });
    w.once('error', reject);
  });
