#!/usr/bin/env python3
"""The `up --demo` walkthrough with the official Python MCP SDK (PyPI `mcp` 2.x).

usage: py_ck_walkthrough.py URL [USER PASSWORD]

URL is a tenant endpoint of a server started with `up --demo`, e.g. http://127.0.0.1:8080/demo/mcp.
With USER and PASSWORD the SDK signs in on its own as Claude Code does: the 401 challenge, Protected
Resource Metadata, authorization server metadata, dynamic registration, authorization code + PKCE (the
"browser" here fills in the server's sign-in form over HTTP), then bearer calls.
The SDK checks every structured result against the tool's outputSchema. Steps: whoami (signed in), discover the CK schema
(get_available_types, get_type_schema), create a machine under a site, query it with an And/Or filter
and a sort, update it with expectedVersion, see a stale version refused with the current version, delete
it (refused without confirm, then archived), and read a failed call's envelope.
Exit 0 and one summary line on success; non-zero with "FAIL: ..." on stderr otherwise.
"""
import asyncio
import json
import sys
import time

TIMEOUT = 60.0


class CheckFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


async def call(session, tool, args, expect_error=False):
    r = await session.call_tool(tool, args)
    check(r.is_error == expect_error, f"{tool}({json.dumps(args)}): isError={r.is_error}: {r.content}")
    s = r.structured_content
    check(isinstance(s, dict), f"{tool}: no structuredContent")
    check(s.get("isSuccess") == (not expect_error), f"{tool}: isSuccess={s.get('isSuccess')}: {s}")
    return s


class MemoryStorage:
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def oauth(url, user, password, signed_in):
    """An OAuthClientProvider whose "browser" signs in on the server's HTML form."""
    import re
    import urllib.parse
    import httpx2
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    redirect_uri = "http://127.0.0.1:9/callback"
    result = {}

    async def redirect_handler(authorization_url):
        async with httpx2.AsyncClient(follow_redirects=False, timeout=TIMEOUT) as browser:
            page = await browser.get(authorization_url)
            check(page.status_code == 200, f"sign-in page: HTTP {page.status_code}: {page.text[:200]}")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
            fields = {k: v.replace("&amp;", "&").replace("&quot;", '"') for k, v in fields.items()}
            fields.update({"csrf": csrf, "username": user, "password": password, "decision": "approve"})
            back = await browser.post(authorization_url.split("?")[0], data=fields,
                                      headers={"cookie": page.headers["set-cookie"].split(";")[0]})
            check(back.status_code in (302, 303), f"sign-in: HTTP {back.status_code}: {back.text[:200]}")
            query = urllib.parse.parse_qs(urllib.parse.urlparse(back.headers["location"]).query)
            check("code" in query, f"no code in {back.headers['location']}")
            result["code"] = query["code"][0]
            result["state"] = query.get("state", [None])[0]
            signed_in.append(authorization_url)

    async def callback_handler():
        return AuthorizationCodeResult(code=result["code"], state=result["state"])

    metadata = OAuthClientMetadata(redirect_uris=[redirect_uri], client_name="py-sdk walkthrough",
                                   grant_types=["authorization_code", "refresh_token"],
                                   response_types=["code"], token_endpoint_auth_method="none")
    return OAuthClientProvider(server_url=url, client_metadata=metadata, storage=MemoryStorage(),
                               redirect_handler=redirect_handler, callback_handler=callback_handler)


async def run(url, user=None, password=None):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    import httpx2

    t0 = time.perf_counter()
    signed_in = []
    auth = oauth(url, user, password, signed_in) if user else None
    http_client = httpx2.AsyncClient(timeout=httpx2.Timeout(TIMEOUT, read=TIMEOUT), auth=auth)
    try:
        async with streamable_http_client(url, http_client=http_client) as streams:
            async with ClientSession(streams[0], streams[1], read_timeout_seconds=TIMEOUT) as s:
                await s.initialize()
                tools = {t.name: t for t in (await s.list_tools()).tools}
                for want in ("query_entities", "create_entity", "update_entity", "delete_entity",
                             "get_type_schema", "get_available_types", "navigate_associations"):
                    check(want in tools, f"tools/list lacks {want}")
                    check(tools[want].output_schema is not None, f"{want} has no outputSchema")
                if user:
                    # The admin has no email: whoami once sent `email: null` against its string schema,
                    # which this SDK refuses ("None is not of type 'string'").
                    me = await call(s, "whoami", {})
                    check(me.get("subject") == user and "email" not in me, f"whoami: {me}")

                types = await call(s, "get_available_types", {"ckModelId": "Demo"})
                ids = sorted(t["ckTypeId"] for t in types["types"])
                check(ids == ["Demo/Machine", "Demo/Sensor", "Demo/Site"], f"demo types: {ids}")
                schema = (await call(s, "get_type_schema", {"ckTypeId": "Demo/Machine"}))["schema"]
                required = sorted(a["attributeName"] for a in schema["attributes"] if not a["isOptional"])
                check(required == ["MachineState", "Manufacturer", "Name", "SerialNumber"], f"required: {required}")

                sites = await call(s, "query_entities_simple", {"ckTypeId": "Demo/Site",
                                   "simpleFilters": [{"AttributePath": "Country", "Value": "AT"}]})
                check(sites["totalCount"] == 2, f"Austrian sites: {sites['totalCount']}")
                site = sites["entities"][0]["rtId"]

                data = [{"AttributePath": "Name", "Value": "Walkthrough Press"},
                        {"AttributePath": "Manufacturer", "Value": "Walkthrough AG"},
                        {"AttributePath": "SerialNumber", "Value": "WT-1"},
                        {"AttributePath": "MachineState", "Value": "Idle"},
                        {"AttributePath": "RatedPower", "Value": 77.5}]
                created = (await call(s, "create_entity", {"ckTypeId": "Demo/Machine", "entityData": data,
                           "associations": [{"roleId": "System/ParentChild", "targetRtId": site,
                                             "targetCkTypeId": "Demo/Site"}]}))["entity"]
                rt_id = created["rtId"]

                found = await call(s, "query_entities", {"ckTypeId": "Demo/Machine", "limit": 5,
                    "filters": {"Operator": "Or", "Fields": [
                        {"AttributePath": "Manufacturer", "Operator": "Equals", "Value": "Walkthrough AG"},
                        {"AttributePath": "SerialNumber", "Operator": "StartsWith", "Value": "WT-"}]},
                    "sort": [{"AttributePath": "Name", "Direction": "asc"}]})
                check(found["totalCount"] == 1 and found["entities"][0]["rtId"] == rt_id, f"query: {found}")

                updated = (await call(s, "update_entity", {"rtId": rt_id, "ckTypeId": "Demo/Machine",
                           "expectedVersion": created["rtVersion"],
                           "entityData": [{"AttributePath": "MachineState", "Value": "Running"}]}))["entity"]
                check(updated["rtVersion"] == created["rtVersion"] + 1, f"version after update: {updated}")
                stale = await call(s, "update_entity", {"rtId": rt_id, "ckTypeId": "Demo/Machine",
                                   "expectedVersion": created["rtVersion"],
                                   "entityData": [{"AttributePath": "RatedPower", "Value": 1}]}, expect_error=True)
                check(stale.get("isConflict") is True and stale.get("currentRtVersion") == updated["rtVersion"],
                      f"conflict: {stale}")

                refusal = await call(s, "delete_entity", {"ckTypeId": "Demo/Machine", "rtId": rt_id},
                                     expect_error=True)
                check("confirm" in refusal.get("errorMessage", ""), f"refusal: {refusal}")
                await call(s, "delete_entity", {"ckTypeId": "Demo/Machine", "rtId": rt_id, "confirm": True})
                after = await call(s, "query_entities_simple", {"ckTypeId": "Demo/Machine",
                                   "simpleFilters": [{"AttributePath": "SerialNumber", "Value": "WT-1"}]})
                check(after["totalCount"] == 0, f"after delete: {after['totalCount']}")
    finally:
        await http_client.aclose()
    if user:
        check(len(signed_in) == 1, f"expected one OAuth sign-in, saw {len(signed_in)}")
        tokens = auth.context.current_tokens
        # For the caller's log check: these must appear in no server log.
        print(f"SECRETS {tokens.access_token} {tokens.refresh_token or ''}", flush=True)
    how = "signed in with OAuth (code + PKCE), " if user else ""
    return f"OK py-sdk ck walkthrough {url}: {how}{len(tools)} tools, created/queried/updated/deleted {rt_id} in {time.perf_counter() - t0:.2f}s"


def leaf_errors(e):
    subs = getattr(e, "exceptions", None)
    if subs:
        for x in subs:
            yield from leaf_errors(x)
    else:
        yield e


def main():
    if len(sys.argv) not in (2, 4):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    try:
        print(asyncio.run(asyncio.wait_for(run(*sys.argv[1:]), TIMEOUT)), flush=True)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - anyio wraps errors in ExceptionGroups
        leaves = list(leaf_errors(e))
        failed = [x for x in leaves if isinstance(x, CheckFailed)]
        msg = "; ".join(str(x) for x in (failed or leaves)) if failed else "; ".join(repr(x) for x in leaves)
        print(f"FAIL py-sdk ck walkthrough {sys.argv[1]}: {msg}", file=sys.stderr)
        sys.exit(1 if failed else 3)


if __name__ == "__main__":
    main()
