#!/bin/sh
# install-deps.sh -- install the Debian packages dualrec needs, if missing.
#
# Idempotent: does nothing when every package is present.  As root it runs
# apt-get; otherwise it prints the apt-get line to run and exits 1.
# Used by `make test`, `make bench`, README's first command and .ci/run.
#   --bench   also the peers used only by benchmarks (faiss, xgboost python)
#   --fuzz    also clang and its libFuzzer + sanitizer runtimes (make fuzz)
set -eu

pkgs="build-essential pkg-config zstd libzstd-dev libcsv-dev check
      libopenblas-dev libxgboost-dev time"
if [ "${1:-}" = "--bench" ]; then
    pkgs="$pkgs python3 python3-numpy python3-faiss python3-xgboost"
fi
# bookworm: libFuzzer and the ASan/UBSan runtimes of the default clang are
# in libclang-rt-dev (libclang-rt-14-dev); llvm brings llvm-symbolizer for
# readable stack traces
if [ "${1:-}" = "--fuzz" ]; then
    pkgs="$pkgs clang libclang-rt-dev llvm"
fi
if [ "${1:-}" = "--redis" ] || [ "${DUALREC_WITH_REDIS:-0}" = 1 ]; then
    pkgs="$pkgs redis-server redis-tools"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
