#!/usr/bin/env python3
"""BGSAVE while redis-benchmark runs GET/SET: duration, peak extra memory, throughput.

Usage: bgsave.py NAME:PORT:PID [NAME:PORT:PID ...]  (servers already loaded with the keys)

For each server and round: redis-benchmark runs SET and GET in a loop (-l) against it; its
progress lines (instantaneous requests/s every 250 ms) are timestamped as they arrive. After
BEFORE seconds, BGSAVE is sent and INFO persistence is polled every 20 ms until the save ends;
meanwhile VmRSS of the server and of its children (Redis's forked child) is sampled, and the
children's private memory (smaps_rollup Private_Clean + Private_Dirty: the copy-on-write
pages, the memory the fork really adds). One more connection sends GET after GET and records
each round trip: the slowest one during the save, beside the slowest before it, bounds how long
any client was held up. Prints one line per round and the medians.
"""
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

ROUNDS = int(os.environ.get("ROUNDS", "3"))
BEFORE = float(os.environ.get("BEFORE", "3"))
CLIENTS = os.environ.get("CLIENTS", "50")
KEYS = os.environ.get("KEYS", "1000000")


def command(port, *words):
    with socket.create_connection(("127.0.0.1", port)) as s:
        out = b"*%d\r\n" % len(words)
        for w in words:
            w = w.encode()
            out += b"$%d\r\n%s\r\n" % (len(w), w)
        s.sendall(out)
        data = b""
        while True:
            chunk = s.recv(65536)
            data += chunk
            if not chunk or data.startswith((b"+", b"-", b":")) and data.endswith(b"\r\n"):
                break
            if data.startswith(b"$"):
                header, _, rest = data.partition(b"\r\n")
                if len(rest) >= int(header[1:]) + 2:
                    break
        return data.decode(errors="replace")


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def private_kb(pid):
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        pass
    return total


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def one_round(port, pid):
    bench = subprocess.Popen(
        ["redis-benchmark", "-p", str(port), "-c", CLIENTS, "-t", "set,get", "-r", KEYS, "-d", "16",
         "-n", "200000", "-l"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    samples = []  # (time, rps)

    def read():
        buffer = b""
        while True:
            chunk = bench.stdout.read1(4096)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.replace(b"\r", b"\n").split(b"\n")
            now = time.time()
            for line in lines:
                text = line.decode(errors="replace")
                if ": rps=" in text:
                    try:
                        samples.append((now, float(text.split("rps=")[1].split()[0])))
                    except ValueError:
                        pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    trips = []  # (time, seconds)
    stop = threading.Event()

    def probe():
        get = b"*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n"
        with socket.create_connection(("127.0.0.1", port)) as s:
            while not stop.is_set():
                start = time.perf_counter()
                s.sendall(get)
                data = b""
                while not data.endswith(b"\r\n") or data.count(b"\r\n") < (1 if data.startswith(b"$-") else 2):
                    data += s.recv(4096)
                trips.append((time.time(), time.perf_counter() - start))
                time.sleep(0.001)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    time.sleep(BEFORE)
    base_rss = status_kb(pid, "VmRSS")
    peak_total = base_rss
    peak_child_private = 0
    t0 = time.time()
    reply = command(port, "BGSAVE")
    assert "Background saving started" in reply, reply
    while True:
        rss = status_kb(pid, "VmRSS")
        kids = children(pid)
        child_rss = sum(status_kb(c, "VmRSS") for c in kids)
        peak_total = max(peak_total, rss + child_rss)
        peak_child_private = max(peak_child_private, sum(private_kb(c) for c in kids))
        if "rdb_bgsave_in_progress:0" in command(port, "INFO", "persistence"):
            break
        time.sleep(0.02)
    t1 = time.time()
    time.sleep(1)
    stop.set()
    prober.join(timeout=2)
    bench.terminate()
    bench.wait()
    reader.join(timeout=2)
    before = [r for t, r in samples if t0 - BEFORE + 0.5 <= t < t0]
    # A progress line covers the 250 ms before it: the first one wholly inside the save arrives
    # 250 ms after BGSAVE.
    during = [r for t, r in samples if t0 + 0.25 <= t <= t1]
    if not during:
        during = [r for t, r in samples if t0 <= t <= t1 + 0.25]
    trips_before = [d for t, d in trips if t0 - BEFORE + 0.5 <= t < t0]
    trips_during = [d for t, d in trips if t0 <= t <= t1]
    return {
        "max_ms_before": max(trips_before) * 1000 if trips_before else 0,
        "max_ms_during": max(trips_during) * 1000 if trips_during else 0,
        "seconds": t1 - t0,
        "extra_mb": (peak_total - base_rss) / 1024,
        "child_private_mb": peak_child_private / 1024,
        "base_mb": base_rss / 1024,
        "rps_before": statistics.median(before) if before else 0,
        "rps_during": statistics.median(during) if during else 0,
    }


def main():
    servers = [s.split(":") for s in sys.argv[1:]]
    results = {name: [] for name, _, _ in servers}
    for r in range(ROUNDS):
        for name, port, pid in servers:
            res = one_round(int(port), int(pid))
            results[name].append(res)
            print(f"round {r + 1} {name:6} bgsave {res['seconds']:.2f} s, RSS {res['base_mb']:.0f} MB "
                  f"+{res['extra_mb']:.0f} MB peak (fork child private {res['child_private_mb']:.0f} MB), "
                  f"GET/SET rps before {res['rps_before']:.0f} during {res['rps_during']:.0f}, "
                  f"slowest GET before {res['max_ms_before']:.1f} ms during {res['max_ms_during']:.1f} ms", flush=True)
    print()
    print(f"{'server':8} {'bgsave_s':>9} {'base_MB':>8} {'extra_MB':>9} {'child_priv_MB':>14} "
          f"{'rps_before':>11} {'rps_during':>11} {'during/before':>14} {'max_ms_before':>14} {'max_ms_during':>14}")
    for name, rows in results.items():
        m = {k: statistics.median(x[k] for x in rows) for k in rows[0]}
        ratio = m["rps_during"] / m["rps_before"] if m["rps_before"] else 0
        print(f"{name:8} {m['seconds']:9.2f} {m['base_mb']:8.0f} {m['extra_mb']:9.0f} "
              f"{m['child_private_mb']:14.0f} {m['rps_before']:11.0f} {m['rps_during']:11.0f} {ratio:14.2f} "
              f"{m['max_ms_before']:14.1f} {m['max_ms_during']:14.1f}")


if __name__ == "__main__":
    main()
