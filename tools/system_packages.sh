#!/usr/bin/env bash
# Installs the system programs the project needs, only when they are missing.
#   tools/system_packages.sh lab    -> nothing: Graphviz (in pygraphviz), the GIF rasteriser (resvg)
#                                      and a Hangul font (koreanize-matplotlib) all come with pip
#   tools/system_packages.sh test   -> Chromium, for the browser tests only
set -euo pipefail
want="${1:-lab}"
missing=()
if [ "$want" = "test" ]; then
    command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    exit 0
fi
echo "Missing system packages: ${missing[*]} (for the browser tests only). Install them with:" \
     "sudo apt-get install -y ${missing[*]}, then run make test again." >&2
exit 1
