#!/usr/bin/env python3
"""Prints a random TCP+UDP port on 127.0.0.1 in 15000-21999 (tests/support/child_process.h
kFreePortFirst/Last), below the kernel's ephemeral range: a bind(0) port comes from that range, where
another test's outgoing connection can take it before the daemon it was meant for binds it."""
import random
import socket
import sys

FIRST, LAST = 15000, 21999


def bindable(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    for _ in range(200):
        port = random.randint(FIRST, LAST)
        if bindable(socket.SOCK_STREAM, port) and bindable(socket.SOCK_DGRAM, port):
            return port
    raise RuntimeError("no free port in %d-%d" % (FIRST, LAST))


if __name__ == "__main__":
    print(free_port())
    sys.exit(0)
