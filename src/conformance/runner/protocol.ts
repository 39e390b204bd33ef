import { Either, ParseResult, Schema } from 'effect';
import { parseJson } from '../../model/encoding/json.js';
import { type Result, ok, fail } from '../../model/encoding/result.js';

/** The protocol tag sent in the runner's hello. @spec VEC-CLIENT-HELLO.1 */
export const CLIENT_PROTOCOL = 'pharos-vectors-jsonl/1';

/** The client's answer to hello: who it is and which kinds it implements. @spec VEC-CLIENT-HELLO.1 */
export const HelloReply = Schema.Struct({
  type: Schema.Literal('hello'),
  name: Schema.String,
  version: Schema.String,
  kinds: Schema.Array(Schema.String),
});
export type HelloReply = typeof HelloReply.Type;

/** The client's answer to one case. @spec VEC-CLIENT-RESULT.1 */
export const ResultReply = Schema.Union(
  Schema.Struct({ type: Schema.Literal('result'), seq: Schema.Number, ok: Schema.Literal(true), output: Schema.Unknown }),
  Schema.Struct({ type: Schema.Literal('result'), seq: Schema.Number, ok: Schema.Literal(false), error: Schema.String, message: Schema.String }),
);
export type ResultReply = typeof ResultReply.Type;

/**
 * Decodes one line a client wrote. A line that is not strict JSON, or does not have the shape of
 * the expected message, is a protocol error that names the line and what is wrong with it.
 *
 * @spec VEC-CLIENT-LINES.1
 */
export const decodeClientLine = <A, I>(schema: Schema.Schema<A, I>, line: string, what: string): Result<A> => {
  const parsed = parseJson(line);
  if (!parsed.ok) return fail('Protocol.MALFORMED_LINE', `${what}: not a JSON line (${parsed.error.code}: ${parsed.error.message}): ${clip(line)}`);
  const decoded = Schema.decodeUnknownEither(schema, { errors: 'all' })(parsed.value);
  if (Either.isLeft(decoded)) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      .map((i) => `${i.path.length ? `/${i.path.join('/')}` : '/'}: ${i.message}`).join('; ');
    return fail('Protocol.UNEXPECTED_MESSAGE', `${what}: ${issues}: ${clip(line)}`);
  }
  return ok(decoded.right);
};

const clip = (line: string): string => JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}...` : line);
