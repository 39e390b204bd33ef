import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Either, Schema } from 'effect';
import type { KindDefinition } from '../kinds/kind.js';
import { CLIENT_PROTOCOL, HelloReply, ResultReply, decodeClientLine } from './protocol.js';

/** What a client said about one case, before it is compared with the expectation. */
export type ClientAnswer =
  | { readonly type: 'ok'; readonly output: unknown }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'timeout'; readonly message: string }
  | { readonly type: 'crash'; readonly message: string };

export interface ClientInfo {
  readonly name: string;
  readonly version: string;
  readonly kinds: readonly string[];
}

export interface Client {
  readonly start: () => Promise<ClientInfo>;
  readonly run: (kind: string, id: string, input: unknown, timeoutMs: number) => Promise<{ answer: ClientAnswer; stderr: string }>;
  readonly close: () => Promise<void>;
}

/**
 * The model or the implementation answering in-process. It goes through the same JSON
 * encode/compare path as an external client, so a pass means the same thing.
 */
export const builtinClient = (which: 'model' | 'impl', kinds: readonly KindDefinition[], version: string): Client => ({
  start: async () => ({ name: `pharos-spec ${which}`, version, kinds: kinds.map((k) => k.kind) }),
  run: async (kindName, _id, input) => {
    const kind = kinds.find((k) => k.kind === kindName)!;
    try {
      const decoded = Schema.decodeUnknownEither(kind.input)(input);
      if (Either.isLeft(decoded)) return { answer: { type: 'error', code: 'Client.BAD_INPUT', message: String(decoded.left) }, stderr: '' };
      const r = kind[which](decoded.right);
      const answer: ClientAnswer = r.ok
        ? { type: 'ok', output: Schema.encodeSync(kind.output)(r.value) }
        : { type: 'error', code: r.error.code, message: r.error.message };
      return { answer, stderr: '' };
    } catch (e) {
      return { answer: { type: 'crash', message: `threw ${(e as Error).stack ?? String(e)}` }, stderr: '' };
    }
  },
  close: async () => {},
});

const HELLO_TIMEOUT_MS = 15_000;

/** Raised when a client cannot be started or does not complete the handshake. */
export class ClientStartError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

interface Session {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly waiters: ((line: string | undefined) => void)[];
  stderr: string;
  exited: string | undefined;
}

/**
 * An external client: one long-lived process speaking JSON Lines. A case that times out, a
 * process that exits, and a line that breaks the protocol each end that process; the next case
 * starts a fresh one, so one bad case cannot take the rest of the run with it.
 *
 * @spec VEC-CLIENT-HELLO.1 VEC-CLIENT-RESULT.1 VEC-CLIENT-FAULTS.1
 */
export const processClient = (command: string, options: { readonly cwd?: string; readonly log?: (line: string) => void } = {}): Client => {
  let session: Session | undefined;
  let seq = 0;

  const launch = (): Session => {
    const child = spawn('sh', ['-c', command], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const s: Session = { child, lines: [], waiters: [], stderr: '', exited: undefined };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const w = s.waiters.shift();
      if (w) w(line);
      else s.lines.push(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      s.stderr += chunk.toString('utf8');
      if (s.stderr.length > 1_000_000) s.stderr = s.stderr.slice(-1_000_000);
    });
    const onGone = (why: string): void => {
      if (s.exited !== undefined) return;
      s.exited = why;
      for (const w of s.waiters.splice(0)) w(undefined);
    };
    child.on('exit', (code, signal) => onGone(signal ? `client exited on signal ${signal}` : `client exited with code ${code}`));
    child.on('error', (e) => onGone(`client could not run: ${e.message}`));
    child.stdin!.on('error', () => {});
    return s;
  };

  const nextLine = (s: Session, timeoutMs: number): Promise<string | 'timeout' | undefined> => {
    const queued = s.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (s.exited !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (line: string | undefined): void => {
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        const i = s.waiters.indexOf(waiter);
        if (i >= 0) s.waiters.splice(i, 1);
        resolve('timeout');
      }, timeoutMs);
      s.waiters.push(waiter);
    });
  };

  const kill = async (s: Session): Promise<void> => {
    if (s.exited === undefined) {
      const gone = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
      try {
        process.kill(-s.child.pid!, 'SIGKILL');
      } catch {
        s.child.kill('SIGKILL');
      }
      await gone;
    }
  };

  const handshake = async (): Promise<ClientInfo> => {
    const s = launch();
    s.child.stdin!.write(`${JSON.stringify({ type: 'hello', protocol: CLIENT_PROTOCOL })}\n`);
    const line = await nextLine(s, HELLO_TIMEOUT_MS);
    if (line === 'timeout' || line === undefined) {
      const why = line === 'timeout' ? `no hello reply within ${HELLO_TIMEOUT_MS} ms` : (s.exited ?? 'client closed its output');
      await kill(s);
      throw new ClientStartError('Client.HELLO_FAILED', `${why} from client ${JSON.stringify(command)}${s.stderr ? `; stderr: ${s.stderr.trim().slice(-500)}` : ''}`);
    }
    const hello = decodeClientLine(HelloReply, line, 'hello reply');
    if (!hello.ok) {
      await kill(s);
      throw new ClientStartError(hello.error.code, hello.error.message);
    }
    session = s;
    return { name: hello.value.name, version: hello.value.version, kinds: hello.value.kinds };
  };

  const restart = async (): Promise<void> => {
    if (session) await kill(session);
    session = undefined;
  };

  return {
    start: handshake,
    run: async (kind, id, input, timeoutMs) => {
      if (session === undefined || session.exited !== undefined) {
        if (session) await restart();
        try {
          await handshake();
        } catch (e) {
          return { answer: { type: 'crash', message: `client could not be restarted: ${(e as Error).message}` }, stderr: '' };
        }
      }
      const s = session!;
      s.stderr = '';
      seq += 1;
      s.child.stdin!.write(`${JSON.stringify({ type: 'run', seq, kind, id, input })}\n`);
      const line = await nextLine(s, timeoutMs);
      const stderr = s.stderr;
      if (line === 'timeout') {
        await restart();
        return { answer: { type: 'timeout', message: `no result within ${timeoutMs} ms` }, stderr };
      }
      if (line === undefined) {
        const why = s.exited ?? 'client closed its output';
        await restart();
        return { answer: { type: 'crash', message: why }, stderr };
      }
      const reply = decodeClientLine(ResultReply, line, `result for case ${id}`);
      if (!reply.ok || reply.value.seq !== seq) {
        await restart();
        const message = reply.ok ? `result for case ${id} carries seq ${reply.value.seq}, expected ${seq}` : `${reply.error.code}: ${reply.error.message}`;
        options.log?.(message);
        return { answer: { type: 'crash', message }, stderr };
      }
      const r = reply.value;
      return { answer: r.ok ? { type: 'ok', output: r.output } : { type: 'error', code: r.error, message: r.message }, stderr };
    },
    close: async () => {
      if (session) {
        session.child.stdin!.end();
        const s = session;
        const exited = new Promise<void>((resolve) => (s.exited !== undefined ? resolve() : s.child.once('exit', () => resolve())));
        const timer = setTimeout(() => void kill(s), 2_000);
        await exited;
        clearTimeout(timer);
      }
      session = undefined;
    },
  };
};
