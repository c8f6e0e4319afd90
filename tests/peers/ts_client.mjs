#!/usr/bin/env node
// Interop check with the official TypeScript MCP SDK (npm @modelcontextprotocol/sdk 1.32.x).
//
// usage: node ts_client.mjs URL [http|sse] [--token TOKEN]     (NODE_PATH must reach the SDK: source .ci/peers-env.sh)
//
//   http (default): StreamableHTTPClientTransport;  sse: legacy SSEClientTransport.
//   Same checks and env overrides as py_client.py:
//     MCP_TEST_TOOL=test_simple_text  MCP_TEST_ARGS={}  MCP_TEST_EXPECT="This is a simple text response for testing."
//     MCP_PROGRESS_TOOL=test_tool_with_progress  MCP_PROGRESS_ARGS={}  MCP_MIN_PROGRESS=1  MCP_TIMEOUT=30
// Exit 0 and one summary line on success; non-zero with "FAIL: ..." on stderr otherwise.
import { createRequire } from 'node:module';
import path from 'node:path';

// ESM ignores NODE_PATH: resolve the SDK through it explicitly.
const require = createRequire(path.join(process.cwd(), 'noop.js'));
const resolveSdk = (sub) => {
  const paths = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
  for (const p of paths) {
    try { return require.resolve(`@modelcontextprotocol/sdk/${sub}`, { paths: [p] }); } catch { /* next */ }
  }
  return require.resolve(`@modelcontextprotocol/sdk/${sub}`);
};
const imp = async (sub) => import(resolveSdk(sub));

const env = process.env;
const TEST_TOOL = env.MCP_TEST_TOOL ?? 'test_simple_text';
const TEST_ARGS = JSON.parse(env.MCP_TEST_ARGS ?? '{}');
const TEST_EXPECT = env.MCP_TEST_EXPECT ?? 'This is a simple text response for testing.';
const PROGRESS_TOOL = env.MCP_PROGRESS_TOOL ?? 'test_tool_with_progress';
const PROGRESS_ARGS = JSON.parse(env.MCP_PROGRESS_ARGS ?? '{}');
const MIN_PROGRESS = Number(env.MCP_MIN_PROGRESS ?? '1');
const TIMEOUT_MS = Number(env.MCP_TIMEOUT ?? '30') * 1000;

const argv = process.argv.slice(2);
let token = env.MCP_TOKEN;
const ti = argv.indexOf('--token');
if (ti >= 0) { token = argv[ti + 1]; argv.splice(ti, 2); }
const [url, mode = 'http'] = argv;
if (!url || !['http', 'sse'].includes(mode)) {
  console.error('usage: ts_client.mjs URL [http|sse] [--token TOKEN]');
  process.exit(64);
}

class CheckFailed extends Error {}
const check = (cond, msg) => { if (!cond) throw new CheckFailed(msg); };
const texts = (r) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text);

async function run() {
  const { Client } = await imp('client/index.js');
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  let transport;
  if (mode === 'sse') {
    const { SSEClientTransport } = await imp('client/sse.js');
    transport = new SSEClientTransport(new URL(url), {
      requestInit: { headers },
      // the EventSource GET does not use requestInit: add the header there too
      eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers ?? {}), ...headers } }) },
    });
  } else {
    const { StreamableHTTPClientTransport } = await imp('client/streamableHttp.js');
    transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  }
  const client = new Client({ name: 'octomesh-ts-peer', version: '0.0.0' }, { capabilities: {} });
  const t0 = performance.now();
  const opts = { timeout: TIMEOUT_MS };
  try {
    await client.connect(transport, opts);
    const sv = client.getServerVersion();
    const proto = transport.protocolVersion ?? '?';

    const { tools } = await client.listTools(undefined, opts);
    const names = tools.map((t) => t.name);
    for (const want of [TEST_TOOL, PROGRESS_TOOL]) check(names.includes(want), `tools/list lacks '${want}'; got ${JSON.stringify(names)}`);

    let r = await client.callTool({ name: TEST_TOOL, arguments: TEST_ARGS }, undefined, opts);
    check(!r.isError, `${TEST_TOOL} returned isError=true: ${JSON.stringify(r.content)}`);
    const got = texts(r);
    check(got.length === 1 && got[0] === TEST_EXPECT, `${TEST_TOOL} text: expected [${JSON.stringify(TEST_EXPECT)}], got ${JSON.stringify(got)}`);

    const progress = [];
    r = await client.callTool({ name: PROGRESS_TOOL, arguments: PROGRESS_ARGS }, undefined,
      { ...opts, onprogress: (p) => progress.push(p) });
    check(!r.isError, `${PROGRESS_TOOL} returned isError=true: ${JSON.stringify(r.content)}`);
    check(progress.length >= MIN_PROGRESS, `${PROGRESS_TOOL}: expected >= ${MIN_PROGRESS} progress notifications, got ${progress.length}`);
    const values = progress.map((p) => p.progress);
    check(values.every((v, i) => i === 0 || values[i - 1] < v), `progress not increasing: ${JSON.stringify(values)}`);

    const dt = ((performance.now() - t0) / 1000).toFixed(2);
    return `OK ts-sdk ${mode} ${url}: server='${sv?.name} ${sv?.version}' protocol=${proto} tools=${names.length} ` +
      `${TEST_TOOL}=ok ${PROGRESS_TOOL}=ok progress=${JSON.stringify(values)} in ${dt}s`;
  } finally {
    try { if (mode === 'http' && transport.sessionId) await transport.terminateSession(); } catch { /* best effort */ }
    await client.close().catch(() => {});
  }
}

const timer = setTimeout(() => {
  console.error(`FAIL ts-sdk ${mode} ${url}: timed out after ${TIMEOUT_MS / 1000}s`);
  process.exit(2);
}, TIMEOUT_MS);
run().then((line) => {
  clearTimeout(timer);
  console.log(line);
  process.exit(0);
}, (e) => {
  clearTimeout(timer);
  const msg = e instanceof CheckFailed ? e.message : `${e?.name ?? 'Error'}: ${e?.message ?? e}${e?.cause ? ` (cause: ${e.cause.message ?? e.cause})` : ''}`;
  console.error(`FAIL ts-sdk ${mode} ${url}: ${msg}`);
  process.exit(e instanceof CheckFailed ? 1 : 3);
});
