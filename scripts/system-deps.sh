#!/usr/bin/env bash
# WeasyPrint's system libraries and the fonts of every script a name may be written in.
# Installs them when run as root and missing; otherwise names the command to run.
set -euo pipefail
missing=()
ldconfig -p | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
# Without harfbuzz-subset each PDF takes seconds instead of about 0.1 s, silently.
ldconfig -p | grep -q 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
# Without a CJK font, names such as 臺北市 print as empty boxes.
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing+=(fonts-noto-cjk fontconfig)
# Without Noto's core fonts, Thai (เชียงใหม่), Devanagari, Arabic, Hebrew... names print as empty
# boxes too (about 12 MB to download, 42 MB installed; README "Quick start" lists the scripts).
fc-list 2>/dev/null | grep -qi 'Noto Sans Thai' || missing+=(fonts-noto-core)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing system packages. Run:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
