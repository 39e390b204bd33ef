#!/usr/bin/env python3
"""An independent Pharos conformance client for the "encoding" vector kinds.

It speaks the runner's client protocol (``pharos-vectors-jsonl/1``): JSON Lines on
stdin/stdout, one request per line, one answer per line. Logs go to stderr.

Implemented kinds:

* ``encoding/canonical-json``: strict (RFC 8259 + I-JSON) parsing, RFC 8785 output.
* ``encoding/case-hash``: sha256 of the canonical JSON of a vector case without ``hash``.
* ``encoding/digest``: sha256 or Ethereum's Keccak-256 of ``0x``-prefixed hex bytes.

Python 3.11, standard library only. It was written from the rules of the
specification, not translated from the TypeScript model, so that passing the
vectors shows the rules are implementable from their description.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any, Callable

PROTOCOL = "pharos-vectors-jsonl/1"
CLIENT_NAME = "pharos-python-client"
CLIENT_VERSION = "0.1.0"


class CaseError(Exception):
    """A rejection of one case's input, carrying the error code the vectors expect."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def printable(text: str) -> str:
    """Makes a string safe to put in a message: the runner parses our lines strictly, and a lone
    surrogate (which may come from the input) would make the whole line invalid JSON."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def describe_char(ch: str) -> str:
    """Names a character by its code point, so odd characters never land raw in a message."""
    return f"U+{ord(ch):04X}"


# ---------------------------------------------------------------------------------------------
# Strict JSON parsing (RFC 8259 grammar plus the I-JSON restrictions of RFC 7493)
# ---------------------------------------------------------------------------------------------

MAX_DEPTH = 256  # the top-level value is at depth 0; a value at depth 257 is rejected

# RFC 8259 section 2: the only insignificant whitespace. Python's str.isspace is far wider.
JSON_WHITESPACE = " \t\n\r"

# Single-character escapes of RFC 8259 section 7 and what they stand for.
SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

DIGITS = "0123456789"
HEX_DIGITS = "0123456789abcdefABCDEF"


def syntax(message: str, pos: int) -> CaseError:
    return CaseError("Encoding.Json.SYNTAX", f"{message} at offset {pos}")


class StrictJsonParser:
    """Recursive-descent parser over a Python str.

    Values map to: dict (object), list (array), str, float (every number is an IEEE-754
    double, as in JavaScript), True/False, None. Errors are reported for the first problem
    met while reading left to right.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> Any:
        self.skip_whitespace()
        if self.pos >= len(self.text):
            raise syntax("empty input, expected a JSON value", self.pos)
        value = self.parse_value(0)
        self.skip_whitespace()
        if self.pos != len(self.text):
            # RFC 8259: a JSON text is exactly one value; anything after it is an error.
            raise syntax("unexpected data after the JSON value", self.pos)
        return value

    def skip_whitespace(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in JSON_WHITESPACE:
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse_value(self, depth: int) -> Any:
        # Depth is checked when a value starts, whatever its type: the rule counts values, not
        # brackets, so a scalar at depth 257 is as deep as an array there.
        if depth > MAX_DEPTH:
            raise CaseError("Encoding.Json.TOO_DEEP", f"value nested deeper than {MAX_DEPTH} levels at offset {self.pos}")
        ch = self.peek()
        if ch == "{":
            return self.parse_object(depth)
        if ch == "[":
            return self.parse_array(depth)
        if ch == '"':
            return self.parse_string()
        if ch != "" and ch in "-0123456789":  # "" would match any str with `in`
            return self.parse_number()
        for literal, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(literal, self.pos):
                self.pos += len(literal)
                return value
        if ch == "":
            raise syntax("unexpected end of input, expected a value", self.pos)
        raise syntax(f"unexpected character {describe_char(ch)}, expected a value", self.pos)

    def expect(self, ch: str, what: str) -> None:
        if self.peek() != ch:
            found = describe_char(self.peek()) if self.peek() else "end of input"
            raise syntax(f"expected {what}, found {found}", self.pos)
        self.pos += 1

    def parse_object(self, depth: int) -> dict[str, Any]:
        self.pos += 1  # '{'
        members: dict[str, Any] = {}
        self.skip_whitespace()
        if self.peek() == "}":
            self.pos += 1
            return members
        while True:
            self.skip_whitespace()
            if self.peek() != '"':
                raise syntax("expected a member name string", self.pos)
            name_pos = self.pos
            name = self.parse_string()
            # I-JSON: names must be unique. Compared after unescaping, so "a" and "\u0061" clash.
            if name in members:
                raise CaseError("Encoding.Json.DUPLICATE_KEY", f"duplicate member name {json.dumps(name)} at offset {name_pos}")
            self.skip_whitespace()
            self.expect(":", "':' after a member name")
            self.skip_whitespace()
            members[name] = self.parse_value(depth + 1)
            self.skip_whitespace()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("}", "',' or '}' in an object")
            return members

    def parse_array(self, depth: int) -> list[Any]:
        self.pos += 1  # '['
        items: list[Any] = []
        self.skip_whitespace()
        if self.peek() == "]":
            self.pos += 1
            return items
        while True:
            self.skip_whitespace()
            items.append(self.parse_value(depth + 1))
            self.skip_whitespace()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("]", "',' or ']' in an array")
            return items

    def parse_string(self) -> str:
        start = self.pos
        self.pos += 1  # opening quote
        text = self.text
        parts: list[str] = []
        while True:
            if self.pos >= len(text):
                raise syntax("unterminated string", start)
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                break
            if ch == "\\":
                parts.append(self.parse_escape())
                continue
            if ch < "\x20":
                # RFC 8259 section 7: control characters must be escaped inside strings.
                raise syntax(f"unescaped control character {describe_char(ch)} in a string", self.pos)
            parts.append(ch)
            self.pos += 1
        return self.check_surrogates("".join(parts), start)

    def parse_escape(self) -> str:
        esc_pos = self.pos
        self.pos += 1  # backslash
        ch = self.peek()
        if ch in SIMPLE_ESCAPES:
            self.pos += 1
            return SIMPLE_ESCAPES[ch]
        if ch == "u":
            digits = self.text[self.pos + 1 : self.pos + 5]
            if len(digits) != 4 or any(d not in HEX_DIGITS for d in digits):
                raise syntax("\\u must be followed by four hex digits", esc_pos)
            self.pos += 5
            # May be half of a surrogate pair; pairing is checked once the string is complete.
            return chr(int(digits, 16))
        found = describe_char(ch) if ch else "end of input"
        raise syntax(f"invalid escape sequence (backslash followed by {found})", esc_pos)

    @staticmethod
    def check_surrogates(value: str, start: int) -> str:
        """I-JSON: strings must be valid Unicode, i.e. hold no unpaired UTF-16 surrogate.

        A surrogate can reach us written as an escape (\\ud800) or as a raw character of the
        input text, and a pair may even be split across the two forms. Round-tripping through
        UTF-16 treats all of these alike: adjacent high+low halves merge into one astral
        character, and anything left unpaired makes the strict decode fail.
        """
        if not any("\ud800" <= c <= "\udfff" for c in value):
            return value
        try:
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            raise CaseError("Encoding.Json.LONE_SURROGATE", f"string starting at offset {start} holds an unpaired UTF-16 surrogate") from None

    def parse_number(self) -> float:
        # Grammar of RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        text, start = self.text, self.pos
        pos = start
        if text[pos] == "-":
            pos += 1
        if pos < len(text) and text[pos] == "0":
            pos += 1
            if pos < len(text) and text[pos] in DIGITS:
                raise syntax("leading zeros are not allowed in numbers", start)
        elif pos < len(text) and text[pos] in DIGITS:
            while pos < len(text) and text[pos] in DIGITS:
                pos += 1
        else:
            raise syntax("expected a digit in a number", pos)
        if pos < len(text) and text[pos] == ".":
            pos += 1
            if pos >= len(text) or text[pos] not in DIGITS:
                raise syntax("expected a digit after the decimal point", pos)
            while pos < len(text) and text[pos] in DIGITS:
                pos += 1
        if pos < len(text) and text[pos] in "eE":
            pos += 1
            if pos < len(text) and text[pos] in "+-":
                pos += 1
            if pos >= len(text) or text[pos] not in DIGITS:
                raise syntax("expected a digit in the exponent", pos)
            while pos < len(text) and text[pos] in DIGITS:
                pos += 1
        self.pos = pos
        # float() rounds a decimal string correctly to the nearest double, as JavaScript does.
        value = float(text[start:pos])
        if value in (float("inf"), float("-inf")):
            raise CaseError("Encoding.Json.NUMBER_OUT_OF_RANGE", f"number at offset {start} does not fit an IEEE-754 double")
        return value


def parse_strict_json(text: str) -> Any:
    return StrictJsonParser(text).parse()


# ---------------------------------------------------------------------------------------------
# RFC 8785 (JCS) serialization
# ---------------------------------------------------------------------------------------------

# RFC 8785 section 3.2.2.2: short escapes where JSON has them, \u00xx (lowercase) otherwise.
SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def jcs_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif ch < "\x20":
            out.append(f"\\u{ord(ch):04x}")
        else:
            # Everything else, DEL and non-ASCII included, is written as itself.
            out.append(ch)
    out.append('"')
    return "".join(out)


def shortest_digits(x: float) -> tuple[str, int]:
    """For a finite positive double, returns (digits, n) with value = 0.digits * 10**n, where
    digits is the shortest string that reads back as x (ECMA-262's s, k and n).

    Python's repr already picks the shortest round-trip digits (closest to x when several
    qualify), which is the choice ECMAScript's Number::toString makes; only the layout differs.
    """
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)  # position of the decimal point
    stripped = digits.lstrip("0")  # e.g. "0.001": leading zeros only move the point
    point -= len(digits) - len(stripped)
    stripped = stripped.rstrip("0")  # e.g. "100.0": trailing zeros carry no digits
    return stripped, point


def jcs_number(x: float) -> str:
    """ECMAScript Number.prototype.toString (ECMA-262 Number::toString, radix 10)."""
    if x == 0:
        return "0"  # covers -0, which ECMAScript also prints as "0"
    if x < 0:
        return "-" + jcs_number(-x)
    s, n = shortest_digits(x)
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)  # an integer written out in full
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]  # the point falls inside the digits
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s  # a small fraction, down to 1e-6
    e = n - 1
    exponent = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return s + "e" + exponent
    return s[0] + "." + s[1:] + "e" + exponent


def utf16_key(name: str) -> bytes:
    """RFC 8785 section 3.2.3: member names are ordered by their UTF-16 code units. Big-endian
    UTF-16 bytes compare the same way; plain str comparison (code points) would put astral
    characters after U+E000..U+FFFF, which is wrong here."""
    return name.encode("utf-16-be")


def canonicalize(value: Any) -> str:
    # bool is checked before numbers: in Python True is also an int.
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return jcs_number(value)
    if isinstance(value, str):
        return jcs_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonicalize(item) for item in value) + "]"
    if isinstance(value, dict):
        names = sorted(value, key=utf16_key)
        return "{" + ",".join(jcs_string(name) + ":" + canonicalize(value[name]) for name in names) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# Case hashes
# ---------------------------------------------------------------------------------------------

MAX_SAFE_INTEGER = 2**53 - 1


def check_safe_numbers(value: Any, path: str) -> None:
    """Vector cases hold only integers that a double represents exactly (|n| <= 2^53-1): a
    fraction or a larger integer might print differently across implementations."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, float):
        if value != int(value) or abs(value) > MAX_SAFE_INTEGER:
            raise CaseError("Encoding.CaseHash.UNSAFE_NUMBER", f"number at {path or '/'} is not an integer within +/-(2^53-1): {jcs_number(value)}")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_safe_numbers(item, f"{path}/{i}")
        return
    for name, item in value.items():
        # JSON Pointer (RFC 6901) escaping, so the path in the message is unambiguous.
        check_safe_numbers(item, f"{path}/{printable(name).replace('~', '~0').replace('/', '~1')}")


def case_hash(text: str) -> str:
    case = parse_strict_json(text)
    if not isinstance(case, dict):
        raise CaseError("Encoding.CaseHash.NOT_AN_OBJECT", "a vector case must be a JSON object")
    # The hash covers everything except itself.
    rest = {name: value for name, value in case.items() if name != "hash"}
    check_safe_numbers(rest, "")
    return "0x" + hashlib.sha256(canonicalize(rest).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Hex and digests
# ---------------------------------------------------------------------------------------------

LOWER_HEX = "0123456789abcdef"


def decode_hex(data: str) -> bytes:
    """Strict byte encoding: "0x" then lowercase hex digits, an even number of them."""
    if not data.startswith("0x"):
        raise CaseError("Encoding.Hex.MISSING_PREFIX", "hex data must start with 0x")
    digits = data[2:]
    for i, ch in enumerate(digits):
        if ch in LOWER_HEX:
            continue
        if "A" <= ch <= "F":
            raise CaseError("Encoding.Hex.UPPERCASE", f"uppercase hex digit {describe_char(ch)} at offset {i + 2}")
        raise CaseError("Encoding.Hex.INVALID_CHARACTER", f"{describe_char(ch)} at offset {i + 2} is not a hex digit")
    if len(digits) % 2:
        raise CaseError("Encoding.Hex.ODD_LENGTH", f"odd number of hex digits ({len(digits)})")
    return bytes.fromhex(digits)


# Keccak-f[1600] (FIPS 202 section 3), on a 5x5 state of 64-bit lanes; lane (x, y) is A[x + 5*y].
MASK64 = (1 << 64) - 1

ROUND_CONSTANTS = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]

# Rotation offsets r[x][y] of the rho step.
ROTATIONS = [
    [0, 36, 3, 41, 18],
    [1, 44, 10, 45, 2],
    [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56],
    [27, 20, 39, 8, 14],
]


def rotl64(v: int, r: int) -> int:
    return ((v << r) | (v >> (64 - r))) & MASK64 if r else v


def keccak_f1600(a: list[int]) -> None:
    """Applies the 24-round permutation to the state in place."""
    for rc in ROUND_CONSTANTS:
        # theta: xor each lane with the parities of two neighbouring columns
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rotl64(c[(x + 1) % 5], 1) for x in range(5)]
        for i in range(25):
            a[i] ^= d[i % 5]
        # rho and pi: rotate each lane, then move lane (x, y) to (y, 2x + 3y)
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(a[x + 5 * y], ROTATIONS[x][y])
        # chi: the only non-linear step, along rows
        for y in range(0, 25, 5):
            for x in range(5):
                a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5])
        # iota: break the symmetry between rounds
        a[0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it: capacity 512 bits (rate 136 bytes) and the original
    Keccak padding 0x01 ... 0x80. FIPS 202 SHA3-256 (hashlib.sha3_256) differs only in the
    padding byte (0x06) and so gives different digests."""
    rate = 136
    padded = bytearray(data)
    pad_len = rate - len(padded) % rate  # always at least one byte of padding
    padded += b"\x00" * pad_len
    padded[len(data)] ^= 0x01
    padded[-1] ^= 0x80  # when pad_len == 1 both bits land in the same byte: 0x81
    state = [0] * 25
    for off in range(0, len(padded), rate):
        block = padded[off : off + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        keccak_f1600(state)
    # 32 bytes of output fit in the first rate block, so a single squeeze suffices.
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])


DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "keccak-256": keccak256,
}


# ---------------------------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------------------------


def string_field(inp: Any, name: str) -> str:
    if not isinstance(inp, dict) or not isinstance(inp.get(name), str):
        raise CaseError("Client.BAD_INPUT", f"input.{name} must be a string")
    return inp[name]


def run_canonical_json(inp: Any) -> dict[str, Any]:
    return {"canonical": canonicalize(parse_strict_json(string_field(inp, "text")))}


def run_case_hash(inp: Any) -> dict[str, Any]:
    return {"hash": case_hash(string_field(inp, "text"))}


def run_digest(inp: Any) -> dict[str, Any]:
    algorithm = string_field(inp, "algorithm")
    data = string_field(inp, "data")
    # The algorithm is checked before the data, so a bad pair reports the algorithm.
    digest = DIGESTS.get(algorithm)
    if digest is None:
        raise CaseError("Encoding.Digest.UNKNOWN_ALGORITHM", f"unknown algorithm {json.dumps(printable(algorithm))} (expected keccak-256 or sha256)")
    return {"digest": "0x" + digest(decode_hex(data)).hex()}


KINDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "encoding/canonical-json": run_canonical_json,
    "encoding/case-hash": run_case_hash,
    "encoding/digest": run_digest,
}


# ---------------------------------------------------------------------------------------------
# Protocol loop
# ---------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{CLIENT_NAME}] {message}", file=sys.stderr, flush=True)


def send(message: dict[str, Any]) -> None:
    # Written as UTF-8 bytes whatever the locale; one line per message, flushed at once since
    # the runner waits for each answer before sending the next case.
    line = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    sys.stdout.buffer.write(line.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


def handle_run(request: dict[str, Any]) -> dict[str, Any]:
    seq = request.get("seq")
    kind = request.get("kind")
    handler = KINDS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return {"type": "result", "seq": seq, "ok": False, "error": "Client.UNSUPPORTED_KIND", "message": f"kind {json.dumps(printable(str(kind)))} is not implemented"}
    try:
        return {"type": "result", "seq": seq, "ok": True, "output": handler(request.get("input"))}
    except CaseError as e:
        return {"type": "result", "seq": seq, "ok": False, "error": e.code, "message": printable(e.message)}
    except RecursionError:
        # Cannot happen for well-formed input (depth is capped at 256), but keep the client alive.
        return {"type": "result", "seq": seq, "ok": False, "error": "Client.INTERNAL_ERROR", "message": "recursion limit reached"}


def main() -> int:
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as e:
            log(f"ignoring a line that is not JSON: {e}")
            continue
        kind = request.get("type") if isinstance(request, dict) else None
        if kind == "hello":
            if request.get("protocol") != PROTOCOL:
                log(f"unsupported protocol {printable(str(request.get('protocol')))!r}, this client speaks {PROTOCOL}")
                return 2
            send({"type": "hello", "name": CLIENT_NAME, "version": CLIENT_VERSION, "kinds": list(KINDS)})
        elif kind == "run":
            send(handle_run(request))
        else:
            log(f"ignoring a message of unknown type {printable(str(kind))!r}")
    return 0  # EOF: the runner is done with us


if __name__ == "__main__":
    sys.exit(main())
