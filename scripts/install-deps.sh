#!/usr/bin/env bash
# Installs the Debian packages SDRaD-C++ needs, if any are missing.
# Runs as root (apt-get); uses sudo when available otherwise.
set -euo pipefail

packages=(
  clang-19 libclang-19-dev llvm-19-dev llvm-19-tools lld-19   # compiler + plugin API
  clang-22 libclang-22-dev llvm-22-dev llvm-22-tools lld-22   # the plugin on LLVM 22 (CI lane)
  clang-16 libclang-16-dev llvm-16-dev llvm-16-tools lld-16   # the plugin on LLVM 16 (CI lane)
  gcc g++                                                     # the runtime built with GCC (CI lane, api tests)
  cmake ninja-build python3 pkg-config file                   # build, lit, e2e (pkg-config), PKU lane (file)
  libgtest-dev libbenchmark-dev valgrind                      # tests, benchmarks
  libmimalloc-dev                                             # benchmarks: mimalloc as a second reference allocator
  qemu-system-x86 cpio                                        # PKU lane (QEMU guest)
  zlib1g-dev                                                  # examples/zlib
  libxml2-dev libpng-dev                                      # e2e libxml2 example, docs/libraries.md recipes
  libevent-dev dpkg-dev patch perl                            # examples/memcached (apt-get source, build, prove)
  clang-14                                                    # test: the plugin refuses another clang (Debian's default)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
