#!/usr/bin/env bash
# The benchmark's load generator: wrk (Debian's package). Installed when run as root and missing;
# otherwise the benchmark says so and falls back to its Python load generator (which takes
# more of the two cores from the server, so its figures are lower).
set -euo pipefail
command -v wrk >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing wrk (the benchmark's load generator)"
  (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }) \
    || echo "Could not install wrk: the Python load generator is used instead." >&2
else
  echo "wrk is not installed (sudo apt-get install -y wrk): the Python load generator is used instead." >&2
fi
