#!/usr/bin/env python3
"""Turn bench/results into one Markdown table with ratios against rmcp-echo."""
import csv
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = {}
with open(out / "summary.tsv") as f:
    for r in csv.DictReader(f, delimiter="\t"):
        rows.setdefault(r["server"], {})[(r["test"], r["conc"])] = r
lists = {}
if (out / "tools_list.txt").exists():
    for line in (out / "tools_list.txt").read_text().splitlines():
        name = line.split()[0]
        fields = dict(p.split("=", 1) for p in line.split() if "=" in p)
        lists[name] = fields
streams = None
if (out / "streams.tsv").exists():
    name, idle, after, n = (out / "streams.tsv").read_text().split()
    streams = (name, int(idle), int(after), int(n))

ref = rows.get("rmcp-stateless", {})
ref_rps = float(ref.get(("tools_call", "32"), {}).get("rps") or 0)
ref_init = float(ref.get(("initialize", "32"), {}).get("rps") or 0)


def ratio(v, r):
    return f" ({v / r:.2f}×)" if r else ""


print("| server | tools/call c=1 p50 / p99 ms | tools/call c=32 calls/s | initialize c=32 /s | tools/list c=1 p50 ms | RSS idle |")
print("|---|---|---:|---:|---:|---:|")
for name in ["octomesh-grpc", "octomesh-grpc-traced", "octomesh-grpc-traced-10pct", "octomesh-grpc-tcp",
             "octomesh-inprocess", "rmcp-stateless"]:
    r = rows.get(name)
    if not r:
        continue
    c1, c32, init = r.get(("tools_call", "1"), {}), r.get(("tools_call", "32"), {}), r.get(("initialize", "32"), {})
    idle = r.get(("idle_rss", "-"), {}).get("rss_kb_after", "?")
    rps, irps = float(c32.get("rps") or 0), float(init.get("rps") or 0)
    tl = lists.get(name, {}).get("p50_ms", "?")
    print(f"| {name} | {c1.get('p50_ms')} / {c1.get('p99_ms')} | {rps:,.0f}{ratio(rps, ref_rps)} | "
          f"{irps:,.0f}{ratio(irps, ref_init)} | {tl} | {int(idle) / 1024:.1f} MiB |")
if streams:
    name, idle, after, n = streams
    per = (after - idle) / n if n else 0
    print(f"\nOpen GET streams ({name}): RSS {idle / 1024:.1f} MiB idle → {after / 1024:.1f} MiB with {n:,} streams "
          f"= {per:.1f} KiB per stream.")

plain = rows.get("octomesh-grpc")
for traced_name, label in (("octomesh-grpc-traced", "sampling 1.0"), ("octomesh-grpc-traced-10pct", "sampling 0.1")):
    traced = rows.get(traced_name)
    if not (plain and traced):
        continue

    def rps(r):
        return float(r.get(("tools_call", "32"), {}).get("rps") or 0)

    def p50(r):
        return float(r.get(("tools_call", "1"), {}).get("p50_ms") or 0)

    loss = 1 - rps(traced) / rps(plain) if rps(plain) else 0
    spans_file = out / f"{traced_name}.spans"
    spans = spans_file.read_text().strip() if spans_file.exists() else "?"
    print(f"\nTracing cost, {label} ({traced_name} vs octomesh-grpc, same run): {loss:.1%} fewer calls/s at c=32 "
          f"({rps(traced):,.0f} vs {rps(plain):,.0f}); c=1 p50 {p50(traced):.3f} vs {p50(plain):.3f} ms; "
          f"rotel received {spans} spans.")
