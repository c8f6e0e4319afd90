#!/usr/bin/env python3
"""Interop check with the official Python MCP SDK (PyPI `mcp` 2.x).

usage: py_client.py URL [http|sse] [--token TOKEN]

  http (default): Streamable HTTP via `streamable_http_client`;  sse: legacy HTTP+SSE via `sse_client`.
  Checks: initialize; tools/list contains MCP_TEST_TOOL and MCP_PROGRESS_TOOL; tools/call MCP_TEST_TOOL with
  MCP_TEST_ARGS returns exactly MCP_TEST_EXPECT as its text; tools/call MCP_PROGRESS_TOOL with MCP_PROGRESS_ARGS and a
  progress callback gets >= MCP_MIN_PROGRESS progress notifications with strictly increasing progress.
  Env overrides (defaults = the conformance fixtures):
    MCP_TEST_TOOL=test_simple_text  MCP_TEST_ARGS={}  MCP_TEST_EXPECT="This is a simple text response for testing."
    MCP_PROGRESS_TOOL=test_tool_with_progress  MCP_PROGRESS_ARGS={}  MCP_MIN_PROGRESS=1  MCP_TIMEOUT=30
Exit 0 and one summary line on success; non-zero with "FAIL: ..." on stderr otherwise.
"""
import argparse
import asyncio
import json
import os
import sys
import time

TEST_TOOL = os.environ.get("MCP_TEST_TOOL", "test_simple_text")
TEST_ARGS = json.loads(os.environ.get("MCP_TEST_ARGS", "{}"))
TEST_EXPECT = os.environ.get("MCP_TEST_EXPECT", "This is a simple text response for testing.")
PROGRESS_TOOL = os.environ.get("MCP_PROGRESS_TOOL", "test_tool_with_progress")
PROGRESS_ARGS = json.loads(os.environ.get("MCP_PROGRESS_ARGS", "{}"))
MIN_PROGRESS = int(os.environ.get("MCP_MIN_PROGRESS", "1"))
TIMEOUT = float(os.environ.get("MCP_TIMEOUT", "30"))


class CheckFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def texts(result):
    return [c.text for c in result.content if getattr(c, "type", None) == "text"]


async def run(url, mode, token):
    from mcp import ClientSession
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else None
    if mode == "sse":
        transport = sse_client(url, headers=headers, timeout=TIMEOUT, sse_read_timeout=TIMEOUT)
        http_client = None
    else:
        import httpx2  # brought by mcp 2.x

        http_client = httpx2.AsyncClient(headers=headers or {}, timeout=httpx2.Timeout(TIMEOUT, read=TIMEOUT))
        transport = streamable_http_client(url, http_client=http_client)

    t0 = time.perf_counter()
    try:
        async with transport as streams:
            async with ClientSession(streams[0], streams[1], read_timeout_seconds=TIMEOUT) as s:
                init = await s.initialize()
                server = f"{init.server_info.name} {init.server_info.version}"
                proto = init.protocol_version

                tools = await s.list_tools()
                names = [t.name for t in tools.tools]
                for want in (TEST_TOOL, PROGRESS_TOOL):
                    check(want in names, f"tools/list lacks {want!r}; got {names}")

                r = await s.call_tool(TEST_TOOL, TEST_ARGS)
                check(not r.is_error, f"{TEST_TOOL} returned isError=true: {r.content}")
                got = texts(r)
                check(got == [TEST_EXPECT], f"{TEST_TOOL} text: expected [{TEST_EXPECT!r}], got {got!r}")

                progress = []

                async def on_progress(p, total, message):
                    progress.append((p, total, message))

                r = await s.call_tool(PROGRESS_TOOL, PROGRESS_ARGS, progress_callback=on_progress)
                check(not r.is_error, f"{PROGRESS_TOOL} returned isError=true: {r.content}")
                # progress notifications may be dispatched just after the result on some transports
                for _ in range(20):
                    if len(progress) >= MIN_PROGRESS:
                        break
                    await asyncio.sleep(0.05)
                check(len(progress) >= MIN_PROGRESS,
                      f"{PROGRESS_TOOL}: expected >= {MIN_PROGRESS} progress notifications, got {len(progress)}")
                values = [p for p, _, _ in progress]
                check(all(a < b for a, b in zip(values, values[1:])), f"progress not increasing: {values}")
    finally:
        if http_client is not None:
            await http_client.aclose()
    dt = time.perf_counter() - t0
    return (f"OK py-sdk {mode} {url}: server={server!r} protocol={proto} tools={len(names)} "
            f"{TEST_TOOL}=ok {PROGRESS_TOOL}=ok progress={values} in {dt:.2f}s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("mode", nargs="?", default="http", choices=["http", "sse"])
    ap.add_argument("--token", default=os.environ.get("MCP_TOKEN"))
    a = ap.parse_args()
    try:
        print(asyncio.run(asyncio.wait_for(run(a.url, a.mode, a.token), TIMEOUT)), flush=True)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - anyio wraps errors in (nested) ExceptionGroups
        leaves = list(leaf_errors(e))
        failed = [x for x in leaves if isinstance(x, CheckFailed)]
        if failed:
            msg, code = "; ".join(str(x) for x in failed), 1
        elif any(isinstance(x, (asyncio.TimeoutError, TimeoutError)) for x in leaves):
            msg, code = f"timed out after {TIMEOUT:.0f}s ({'; '.join(repr(x) for x in leaves)})", 2
        else:
            msg, code = "; ".join(repr(x) for x in leaves), 3
        print(f"FAIL py-sdk {a.mode} {a.url}: {msg}", file=sys.stderr)
        sys.exit(code)


def leaf_errors(e):
    subs = getattr(e, "exceptions", None)
    if subs:
        for x in subs:
            yield from leaf_errors(x)
    else:
        yield e

if __name__ == "__main__":
    main()
