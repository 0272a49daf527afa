#!/usr/bin/env python3
"""Sends malformed requests of many kinds to a real keel-master and keel-agent.

Ensures each gets a clear HTTP error (or, where no reply is possible, a closed
connection), that the daemon logs it, and that the daemon keeps serving: after every
case /health answers 200 and a valid message is still accepted with 202.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exchange(port, data, timeout=5.0):
    """Sends raw bytes; returns the status code of the reply, or None if the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR) if data.endswith(b"#EOF") else None
        reply = b""
        try:
            while b"\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    if not reply.startswith(b"HTTP/1."):
        return None
    return int(reply.split(b" ")[1])


def message(path, sender, body=b"", extra=b""):
    head = b"POST " + path + b" HTTP/1.1\r\nUser-Agent: libprocess/" + sender + \
        b"\r\nLibprocess-From: " + sender + b"\r\nConnection: Keep-Alive\r\nHost: x\r\n" + extra
    if body:
        return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    return head + b"\r\n"


def cases(process):
    p = process.encode()
    me = b"tester@127.0.0.1:1"
    return [
        ("not HTTP at all", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", {400}),
        ("request line without target", b"GET\r\n\r\n", {400}),
        ("bad method token", b"G(T /health HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
        ("header line without colon", b"GET /health HTTP/1.1\r\nNoColonHere\r\n\r\n", {400}),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400, 505}),
        ("unsupported HTTP version", b"GET /health HTTP/3.0\r\nHost: x\r\n\r\n", {400, 505}),
        ("unknown process", message(b"/nosuch/mesos.internal.PingSlaveMessage", me), {404}),
        ("unknown message", message(b"/" + p + b"/mesos.internal.NoSuchMessage", me, b"x"), {404}),
        ("unparsable body",
         message(b"/" + p + b"/mesos.internal.StatusUpdateMessage", me, b"\xff\xff\xff\xff"), {400}),
        ("invalid Libprocess-From", message(b"/" + p + b"/mesos.internal.PongSlaveMessage",
                                            b"not-a-pid"), {400}),
        ("message path without name", message(b"/" + p + b"/", me, b"x"), {400, 404}),
        ("bad chunk size", b"POST /" + p + b"/mesos.internal.PongSlaveMessage HTTP/1.1\r\n"
         b"Libprocess-From: " + me + b"\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", {400}),
        ("chunk longer than declared", b"POST /" + p + b"/mesos.internal.PongSlaveMessage HTTP/1.1\r\n"
         b"Libprocess-From: " + me + b"\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"2\r\nabcdef\r\n0\r\n\r\n", {400}),
        ("oversized Content-Length", b"POST /" + p + b"/mesos.internal.PongSlaveMessage HTTP/1.1\r\n"
         b"Libprocess-From: " + me + b"\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", {413}),
        ("oversized header", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
         {400, 431}),
        ("path escaping with /..", b"GET /" + p + b"/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {404}),
        ("bad percent escape", b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
        ("unknown endpoint", b"GET /no/such/endpoint HTTP/1.1\r\nHost: x\r\n\r\n", {404}),
        ("truncated body then EOF", b"POST /" + p + b"/mesos.internal.PongSlaveMessage HTTP/1.1\r\n"
         b"Libprocess-From: " + me + b"\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort#EOF", {None, 400}),
    ]


def healthy(port):
    return exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n") == 200


def wait_healthy(port, proc, what):
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            if healthy(port):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{what} did not come up")


def main():
    work = tempfile.mkdtemp(prefix="keel-malformed.")
    mport, aport = free_port(), free_port()
    logs = open(os.path.join(work, "daemons.log"), "w")
    master = subprocess.Popen([f"{BIN}/keel-master", "--ip=127.0.0.1", f"--port={mport}",
                               "--registry=in_memory"], stdout=logs, stderr=logs)
    agent = subprocess.Popen([f"{BIN}/keel-agent", f"--master=127.0.0.1:{mport}", "--ip=127.0.0.1",
                              f"--port={aport}", f"--work_dir={work}/agent",
                              "--resources=cpus:1;mem:256"], stdout=logs, stderr=logs)
    passed = failed = 0
    try:
        wait_healthy(mport, master, "keel-master")
        wait_healthy(aport, agent, "keel-agent")
        for name, port, process in (("master", mport, "master"), ("agent", aport, "slave(1)")):
            for case, data, expected in cases(process):
                status = exchange(port, data)
                ok = status in expected and healthy(port)
                print(f"{'ok  ' if ok else 'FAIL'} {name}: {case}: got {status}, expected {sorted(expected, key=str)}")
                passed += ok
                failed += not ok
            # A valid message is still accepted afterwards.
            valid = message(b"/" + process.encode() + (b"/mesos.internal.PingSlaveMessage"
                            if name == "agent" else b"/mesos.internal.UnregisterSlaveMessage"),
                            b"tester@127.0.0.1:1", b"\x08\x01" if name == "agent" else b"\n\x03\n\x01x")
            status = exchange(port, valid)
            ok = status == 202
            print(f"{'ok  ' if ok else 'FAIL'} {name}: valid message afterwards: got {status}")
            passed += ok
            failed += not ok
        logs.flush()
        text = open(os.path.join(work, "daemons.log")).read()
        warnings = [line for line in text.splitlines() if line.startswith("W")]
        ok = len(warnings) >= len(cases("master"))
        print(f"{'ok  ' if ok else 'FAIL'} refusals are logged")
        passed += ok
        failed += not ok
    finally:
        for p in (agent, master):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
