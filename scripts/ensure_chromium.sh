#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download). Install it
# from Debian's packages when it is missing and we may (root); otherwise the e2e tests skip.
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "note: /usr/bin/chromium is missing and cannot be installed here; browser tests will skip" >&2
exit 0
