#!/usr/bin/env python3
"""Writes Sources/RoostEngine/Command/CommandDocs+Table.swift from a running redis-server 7.0.15.

For every command and subcommand in a running Roost's COMMAND LIST, it reads COMMAND DOCS from
Redis (RESP3, so maps and sets keep their shape) and records what Roost's CommandSpec does not
already hold: doc_flags, deprecated_since, replaced_by, history and arguments, and Redis's
complexity for a command whose spec has none (Roost reports no complexity for it, or the table
being replaced already records it). Summary, since, group or complexity values of Roost's specs
that differ from Redis's are printed: fix those in the family's spec file.

Usage:
    redis-server --port 7450 --save '' &
    swift build --product roost && .build/debug/roost server --port 7460 &
    scripts/gen-command-docs.py --redis-port 7450 --roost-port 7460
"""
import argparse
import os
import re
import socket
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Sources/RoostEngine/Command/CommandDocs+Table.swift")

# The fields COMMAND DOCS writes, in the order Redis writes them (server.c,
# addReplyCommandDocs and addReplyCommandArgList). The Swift writer uses the same order.
COMMAND_FIELDS = ["summary", "since", "group", "complexity", "doc_flags", "deprecated_since",
                  "replaced_by", "history", "arguments", "subcommands"]
ARGUMENT_FIELDS = ["name", "type", "key_spec_index", "token", "summary", "since",
                   "deprecated_since", "flags", "arguments"]
ARGUMENT_FLAGS = {"optional": ".optional", "multiple": ".multiple", "multiple_token": ".multipleToken"}
KINDS = {"string": ".string", "integer": ".integer", "double": ".double", "key": ".key",
         "pattern": ".pattern", "unix-time": ".unixTime", "pure-token": ".pureToken",
         "oneof": ".oneof", "block": ".block"}


class Connection:
    """A minimal RESP3 client: maps decode to lists of pairs, sets to ("set", items)."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port))
        self.buf = b""

    def call(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        return self.read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return ("status", rest.decode())
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self._exact(int(rest)).decode()
        if kind == b"_":
            return None
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        if kind == b"~":
            return ("set", [self.read() for _ in range(int(rest))])
        if kind == b"%":
            return ("map", [(self.read(), self.read()) for _ in range(int(rest))])
        raise RuntimeError("unexpected reply %r" % line)


def recorded_complexities(path):
    """The names whose complexity the existing table records (their specs have none)."""
    names = set()
    if os.path.exists(path):
        current = None
        with open(path) as f:
            for line in f:
                m = re.match(r'^        case "(.*)":$', line)
                if m:
                    current = m.group(1)
                elif current and re.match(r"^            return D\(complexity: ", line):
                    names.add(current)
    return names


def fields(reply, order, what):
    """A map reply as a dict, after checking its keys come in `order`."""
    assert reply[0] == "map", what
    keys = [k for k, _ in reply[1]]
    unknown = [k for k in keys if k not in order]
    if unknown:
        sys.exit("%s: fields %s are new to this script" % (what, unknown))
    if keys != sorted(keys, key=order.index):
        sys.exit("%s: fields %s are not in the expected order" % (what, keys))
    return dict(reply[1])


def swift_string(text):
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def status_set(reply, what):
    assert reply[0] == "set", what
    names = []
    for item in reply[1]:
        assert item[0] == "status", what
        names.append(item[1])
    return names


def argument(reply, indent, what):
    f = fields(reply, ARGUMENT_FIELDS, what)
    parts = [swift_string(f["name"]), KINDS[f["type"]]]
    if "key_spec_index" in f:
        parts.append("keySpec: %d" % f["key_spec_index"])
    for key, label in [("token", "token"), ("summary", "summary"), ("since", "since"),
                       ("deprecated_since", "deprecatedSince")]:
        if key in f:
            parts.append("%s: %s" % (label, swift_string(f[key])))
    if "flags" in f:
        flags = status_set(f["flags"], what)
        if flags != [n for n in ARGUMENT_FLAGS if n in flags]:
            sys.exit("%s: argument flags %s out of order" % (what, flags))
        swift = [ARGUMENT_FLAGS[n] for n in flags]
        parts.append("flags: " + (swift[0] if len(swift) == 1 else "[" + ", ".join(swift) + "]"))
    head = "A(" + ", ".join(parts)
    if "arguments" not in f:
        return indent + head + ")"
    nested = [argument(a, indent + "    ", what + "/" + f["name"]) for a in f["arguments"]]
    return indent + head + ", [\n" + ",\n".join(nested) + ",\n" + indent + "])"


def entry(name, reply, with_complexity):
    """The Swift `case` for one command, or None when Redis reports nothing beyond the spec."""
    f = fields(reply, COMMAND_FIELDS, name)
    parts = []
    if with_complexity and "complexity" in f:
        parts.append("complexity: " + swift_string(f["complexity"]))
    if "doc_flags" in f:
        flags = status_set(f["doc_flags"], name)
        parts.append("docFlags: [" + ", ".join(swift_string(x) for x in flags) + "]")
    if "deprecated_since" in f:
        parts.append("deprecatedSince: " + swift_string(f["deprecated_since"]))
    if "replaced_by" in f:
        parts.append("replacedBy: " + swift_string(f["replaced_by"]))
    if "history" in f:
        assert f["history"][0] == "set", name
        pairs = ["(%s, %s)" % (swift_string(v), swift_string(t)) for v, t in f["history"][1]]
        parts.append("history: [\n" + "".join("                %s,\n" % p for p in pairs) + "            ]")
    if "arguments" in f:
        args = [argument(a, "                ", name) for a in f["arguments"]]
        parts.append("arguments: [\n" + ",\n".join(args) + ",\n            ]")
    if not parts:
        return None
    return "        case %s:\n            return D(%s)" % (swift_string(name), ", ".join(parts))


HEADER = """\
// GENERATED by scripts/gen-command-docs.py from redis-server 7.0.15's COMMAND DOCS: do not edit.
// Regenerate after adding a command to the table:
//     redis-server --port 7450 --save '' &
//     swift build --product roost && .build/debug/roost server --port 7460 &
//     scripts/gen-command-docs.py --redis-port 7450 --roost-port 7460

private typealias A = CommandArgumentDoc
private typealias D = CommandDocExtras

extension CommandDocExtras {
    /// The recorded extras of one command or subcommand, by full name; nil for none.
    static func table(_ fullName: String) -> CommandDocExtras? {
        switch fullName {
"""

# Commands newer than Redis 7.0 (so missing from its COMMAND DOCS), recorded by hand from the
# Redis version that added them; kept when the table is regenerated.
NEWER = {
    "waitaof": """\
        case "waitaof":
            return D(arguments: [
                A("numlocal", .integer),
                A("numreplicas", .integer),
                A("timeout", .integer),
            ])""",
}

FOOTER = """\
        default:
            return nil
        }
    }
}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis-port", type=int, default=7450)
    parser.add_argument("--roost-port", type=int, required=True)
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()

    redis = Connection(args.redis_port)
    redis.call("HELLO", "3")
    version = dict(redis.call("HELLO", "3")[1]).get("version")
    if version != "7.0.15":
        sys.exit("expected redis 7.0.15, got %s" % version)
    roost = Connection(args.roost_port)
    roost.call("HELLO", "3")
    sticky = recorded_complexities(args.output)

    cases = []
    missing = []
    for name in roost.call("COMMAND", "LIST"):
        reply = redis.call("COMMAND", "DOCS", name)
        if not reply[1]:
            if name in NEWER:
                cases.append(NEWER[name])
            else:
                missing.append(name)
            continue
        (full, docs), = reply[1]
        docs = ("map", [(k, v) for k, v in docs[1] if k != "subcommands"])
        theirs = dict(docs[1])
        mine = roost.call("COMMAND", "DOCS", name)
        mine = dict(mine[1][0][1][1]) if mine[1] else {}
        for key in ["summary", "since", "group", "complexity"]:
            if mine.get(key) is not None and mine.get(key) != theirs.get(key):
                print("%s: %s is %r in Roost's spec, %r in Redis: fix the spec" % (full, key, mine.get(key), theirs.get(key)))
        # Roost reports no complexity when its spec has none; once recorded, the table's own
        # value is what Roost reports, so the table keeps recording it.
        record_complexity = full in sticky or mine.get("complexity") is None
        case = entry(full, docs, with_complexity=record_complexity)
        if case:
            cases.append(case)
    if missing:
        print("not in redis 7.0.15: %s" % ", ".join(missing))
    with open(args.output, "w") as f:
        f.write(HEADER)
        f.write("\n".join(cases) + "\n")
        f.write(FOOTER)
    print("wrote %d entries to %s" % (len(cases), os.path.relpath(args.output, ROOT)))


if __name__ == "__main__":
    main()
