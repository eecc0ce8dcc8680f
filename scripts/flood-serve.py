#!/usr/bin/env python3
"""Floods a running `flashsale serve` with hostile connections and reports its memory.

Each connection sends a claim's request line and header lines up to --header-bytes and never
finishes the request: the slow-headers attack that pins a server's buffers. Once every
connection has sent its headers, all are held open --hold seconds, then closed. The script
samples serve's resident memory (VmRSS of --pid) idle, every 0.2 s during the flood (its
peak), --settle seconds after every connection closed, and again after --traffic seconds of
honest keep-alive requests (50 connections asking GET /healthz). To measure memory rather than the
header deadline, start serve with a --header-timeout longer than the flood takes to open:

    flashsale serve --listen 127.0.0.1:8080 --header-timeout 120s &
    scripts/flood-serve.py --port 8080 --pid $! --connections 10000 --header-bytes 15000

Prints one JSON document: idle, peak and after in MiB, and how many connections the server
opened, that were held to the end, answered (431, 408) or closed by the server.
"""

import argparse
import asyncio
import json
import resource
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def hostile(port, header_bytes, sent_all, release, outcome):
    """One connection: headers sent up to `header_bytes`, never finished; held until `release`."""
    writer = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        outcome["opened"] += 1
        writer.write(b"POST /v1/campaigns/spring/claims HTTP/1.1\r\nHost: flood\r\n")
        filler = b"x-pad: " + b"a" * 1000 + b"\r\n"
        sent = 0
        while sent < header_bytes:
            chunk = filler[: max(1, min(len(filler), header_bytes - sent))]
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
    except OSError:
        outcome["failed"] += 1
        return
    finally:
        sent_all()
    # Stalled with the headers unfinished: the server answers (431, 408) or closes, or the
    # hold ends first.
    read = asyncio.ensure_future(reader.read(64))
    done, _ = await asyncio.wait({read, asyncio.ensure_future(release.wait())},
                                 return_when=asyncio.FIRST_COMPLETED)
    if read in done:
        answer = read.result() if not read.exception() else b""
        key = answer[9:12].decode() if answer.startswith(b"HTTP/1.1 ") else "closed_by_server"
        outcome[key] = outcome.get(key, 0) + 1
    else:
        read.cancel()
        outcome["held"] += 1
    writer.close()


async def honest(port, until, counted):
    """A keep-alive client asking `GET /healthz` again and again until `until`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = b"GET /healthz HTTP/1.1\r\nHost: flood\r\n\r\n"
    while time.monotonic() < until:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        counted[0] += 1
    writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--header-bytes", type=int, default=15000)
    parser.add_argument("--hold", type=float, default=5.0,
                        help="seconds every connection stays open once all sent their headers")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after, before 'after'")
    parser.add_argument("--traffic", type=float, default=5.0,
                        help="seconds of honest GET /healthz traffic after 'after'")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    idle = rss_mib(args.pid)
    outcome = {"opened": 0, "failed": 0, "held": 0, "closed_by_server": 0}
    release = asyncio.Event()
    pending = [args.connections]
    everyone_sent = asyncio.Event()

    def sent_all():
        pending[0] -= 1
        if pending[0] == 0:
            everyone_sent.set()

    tasks = [
        asyncio.create_task(hostile(args.port, args.header_bytes, sent_all, release, outcome))
        for _ in range(args.connections)
    ]
    peak = idle
    while not everyone_sent.is_set():
        peak = max(peak, rss_mib(args.pid))
        await asyncio.sleep(0.2)
    hold_until = time.monotonic() + args.hold
    while time.monotonic() < hold_until:
        peak = max(peak, rss_mib(args.pid))
        await asyncio.sleep(0.2)
    release.set()
    await asyncio.gather(*tasks)
    await asyncio.sleep(args.settle)
    after = rss_mib(args.pid)
    # The allocator gives a worker thread's freed pages back the next time that thread
    # allocates: an idle server keeps them, one that serves traffic again returns them.
    counted = [0]
    until = time.monotonic() + args.traffic
    await asyncio.gather(*(honest(args.port, until, counted) for _ in range(50)))
    await asyncio.sleep(1)
    after_traffic = rss_mib(args.pid)
    print(json.dumps({
        "connections": args.connections,
        "header_bytes": args.header_bytes,
        "idle_mib": round(idle, 1),
        "peak_mib": round(peak, 1),
        "after_mib": round(after, 1),
        "after_over_idle": round(after / idle, 2),
        "honest_requests": counted[0],
        "after_traffic_mib": round(after_traffic, 1),
        "after_traffic_over_idle": round(after_traffic / idle, 2),
        "outcome": outcome,
    }))


if __name__ == "__main__":
    asyncio.run(main())
