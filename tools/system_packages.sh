#!/usr/bin/env bash
# Installs the system programs the project needs, only when they are missing.
#   tools/system_packages.sh lab    -> Graphviz (dot), rsvg-convert (GIF export) and a CJK font for Korean labels
#   tools/system_packages.sh test   -> the above plus Chromium for the browser tests
set -euo pipefail
want="${1:-lab}"
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)  # SVG -> PNG for export_gif
if command -v fc-list >/dev/null 2>&1; then
    [ -n "$(fc-list :lang=ko 2>/dev/null | head -n1)" ] || missing+=(fonts-noto-cjk)
elif ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    missing+=(fonts-noto-cjk)
fi
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
echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" \
     "(on macOS: brew install graphviz; with conda: conda install -c conda-forge graphviz), then run make again." >&2
exit 1
