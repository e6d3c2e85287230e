#!/usr/bin/env python3
"""Fails when the #include lines break the layering of ARCHITECTURE.md.

Two floors: libraries that know no daemon (proto, sip, netdecode, qos, common, store) and the five
daemons above them (agent, collector, parser, writer, api). A daemon never includes another
daemon's folder; a library never includes a daemon; the pure decoders (proto, sip, netdecode, qos)
include no runtime plumbing (common) and no storage (store). Tools, tests, benches and fuzz
targets sit on top and are not checked.

    tools/check_layers.py [REPO_ROOT]      exit 0: layering holds; 1: each violation printed
"""
import pathlib
import re
import sys

# folder -> the folders its sources may include (itself always allowed).
ALLOWED = {
    "proto": set(),
    "sip": set(),
    "netdecode": {"proto", "sip"},
    "qos": set(),
    "common": set(),
    "store": {"common"},
    "agent": {"netdecode", "sip", "qos", "proto", "common"},
    "collector": {"netdecode", "proto", "common"},
    "parser": {"sip", "qos", "proto", "common", "store"},  # store: the read-only alias reader (KPI labels)
    "writer": {"store", "proto", "common"},
    "api": {"store", "sip", "qos", "proto", "common"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/')


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    problems = []
    for folder, allowed in ALLOWED.items():
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".h", ".cpp", ".cc", ".hpp") or "build" in path.parts:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(1)
                if target == folder or target in allowed or target not in ALLOWED:
                    continue
                kind = "daemon" if target in ("agent", "collector", "parser", "writer", "api") else "library"
                problems.append(f"{path.relative_to(root)}:{number}: {folder}/ includes {kind} {target}/ "
                                f"(allowed: {', '.join(sorted(allowed)) or 'nothing else'})")
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} include(s) break ARCHITECTURE.md; move what two stages share "
              "down into a library")
        return 1
    print(f"layering: ok ({len(ALLOWED)} folders checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
