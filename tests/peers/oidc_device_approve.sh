#!/usr/bin/env bash
# A person approving a device at oidc-provider's built-in pages (login, consent), with curl.
# usage: oidc_device_approve.sh ISSUER USER_CODE LOGIN   (adapted from shared/testing/device_flow.sh)
set -euo pipefail
B=$1; UC=$2; LOGIN=$3
J=$(mktemp); trap 'rm -f "$J"' EXIT
loc() { grep -i '^location:' | sed 's/^[Ll]ocation: //' | tr -d '\r' | sed "s#^/#$B/#"; }
X=$(curl -s -c "$J" -b "$J" "$B/device" | grep -o 'name="xsrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
curl -s -c "$J" -b "$J" -X POST "$B/device" --data-urlencode "xsrf=$X" --data-urlencode "user_code=$UC" >/dev/null
URL=$(curl -s -i -c "$J" -b "$J" -X POST "$B/device" --data-urlencode "xsrf=$X" --data-urlencode "user_code=$UC" -d confirm=yes | loc)
for _ in 1 2 3 4 5 6 7 8; do
  PAGE=$(curl -s -i -c "$J" -b "$J" "$URL")
  if echo "$PAGE" | grep -q 'Sign-in Success'; then echo "OK approved $UC as $LOGIN"; exit 0; fi
  NEXT=$(echo "$PAGE" | loc || true); if [ -n "$NEXT" ]; then URL=$NEXT; continue; fi
  PROMPT=$(echo "$PAGE" | grep -o 'name="prompt" value="[^"]*"' | sed 's/.*value="//;s/"//')
  if [ "$PROMPT" = login ]; then URL=$(curl -s -i -c "$J" -b "$J" -X POST "$URL" -d prompt=login -d "login=$LOGIN" -d password=x | loc)
  else URL=$(curl -s -i -c "$J" -b "$J" -X POST "$URL" -d prompt=consent | loc); fi
done
echo "FAIL could not approve $UC" >&2; exit 1
