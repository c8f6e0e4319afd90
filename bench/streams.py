#!/usr/bin/env python3
"""Open N MCP sessions, each with one long-lived GET stream, and hold them.

usage: streams.py URL N READY_FILE
Prints progress; writes READY_FILE once all N streams answered 200 with text/event-stream; holds them until
killed. Loopback only.
"""
import asyncio
import json
import sys
from urllib.parse import urlparse

URL, N, READY = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = urlparse(URL)
assert u.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
HOST, PORT, PATH = u.hostname, u.port, u.path
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "streams", "version": "1"}}})


async def request(method, headers, body=b""):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    lines = [f"{method} {PATH} HTTP/1.1", f"Host: {HOST}:{PORT}"] + [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    return reader, writer, head.decode("latin-1")


async def open_stream(held, sem):
    async with sem:
        body = INIT.encode()
        reader, writer, head = await request("POST", {
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "Connection": "close"}, body)
        sid = next(l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("mcp-session-id:"))
        writer.close()
        reader, writer, head = await request("GET", {
            "Accept": "text/event-stream", "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"})
        status = head.split(" ", 2)[1]
        if status != "200" or "text/event-stream" not in head.lower():
            raise SystemExit(f"GET stream refused: {head!r}")
        held.append((reader, writer))
        if len(held) % 1000 == 0:
            print(f"  {len(held)} streams open", flush=True)


async def main():
    held = []
    sem = asyncio.Semaphore(64)
    await asyncio.gather(*(open_stream(held, sem) for _ in range(N)))
    with open(READY, "w") as f:
        f.write(str(len(held)))
    print(f"{len(held)} streams open and held", flush=True)
    await asyncio.sleep(3600)


asyncio.run(main())
