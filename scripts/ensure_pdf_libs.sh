#!/usr/bin/env bash
# PDF documents are laid out by WeasyPrint, which needs Pango (and fonts) from Debian's packages.
# Install them when they are missing and we may (root); otherwise say what to install.
set -u
have() { ldconfig -p 2>/dev/null | grep -q "$1"; }
if have libpango-1.0.so.0 && have libpangoft2-1.0.so.0 && [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    fonts-dejavu-core fonts-liberation >/dev/null && exit 0
fi
echo "note: Pango or the DejaVu fonts are missing and cannot be installed here;" \
     "install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core for PDF documents" >&2
exit 0
