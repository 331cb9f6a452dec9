#!/usr/bin/env bash
# Builds rmesos-executor in release mode against glibc 2.17, so that agents
# running old images (Debian stretch, CentOS 7, ...) can run it, then checks
# the result with scripts/check-glibc.sh.
#
# Usage: scripts/build-executor.sh [OUTPUT]
#   OUTPUT defaults to $CARGO_TARGET_DIR/executor-glibc2.17/rmesos-executor
#   (CARGO_TARGET_DIR defaults to the repository's target/).
#
# Needs cargo-zigbuild and Zig: `pip install cargo-zigbuild ziglang`. Zig is
# taken from PATH, else from the ziglang Python package of python3 (or of
# $PYTHON). The Rust std for the host's x86_64-unknown-linux-gnu is enough:
# the ".2.17" suffix only tells Zig which glibc to link against. The copy
# at OUTPUT has its debug info stripped (binutils' strip).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
glibc=2.17
target_dir=${CARGO_TARGET_DIR:-$repo/target}
case $target_dir in
    /*) ;;
    *) target_dir=$PWD/$target_dir ;;
esac
output=${1:-$target_dir/executor-glibc$glibc/rmesos-executor}

fail() {
    echo "build-executor: $*" >&2
    exit 1
}

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) triple=x86_64-unknown-linux-gnu ;;
    Linux-aarch64) triple=aarch64-unknown-linux-gnu ;;
    *) fail "only Linux x86_64 and aarch64 hosts are supported, not $(uname -sm)" ;;
esac

command -v cargo-zigbuild >/dev/null 2>&1 ||
    fail "cargo-zigbuild is missing: pip install cargo-zigbuild ziglang"

# Zig from the ziglang wheel lives next to its __init__.py.
if command -v zig >/dev/null 2>&1; then
    zig=$(command -v zig)
else
    python=${PYTHON:-python3}
    zig_dir=$("$python" -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))' 2>/dev/null) ||
        fail "zig is missing: pip install ziglang (or put zig on PATH)"
    zig="$zig_dir/zig"
fi

# cargo-zigbuild names its linker wrappers after its own path, and cargo
# rebuilds every crate when the linker's path changes; pip's build
# environments live in new temporary directories each time. So both tools
# run from one stable directory: a copy of cargo-zigbuild (it resolves its
# own path through symlinks) and a link to zig (which finds its lib/ from
# its real path).
tools="$target_dir/zigbuild-tools"
mkdir -p "$tools"
if ! cmp -s "$(command -v cargo-zigbuild)" "$tools/cargo-zigbuild"; then
    cp -f "$(command -v cargo-zigbuild)" "$tools/cargo-zigbuild.tmp"
    mv -f "$tools/cargo-zigbuild.tmp" "$tools/cargo-zigbuild"
fi
ln -sfn "$zig" "$tools/zig"
export CARGO_ZIGBUILD_ZIG_PATH="$tools/zig"

# Only the host's std is installed; zig links against the chosen glibc.
sysroot=$(rustc --print sysroot)
[ -d "$sysroot/lib/rustlib/$triple" ] ||
    fail "the Rust std for $triple is not installed in $sysroot"

echo "build-executor: cargo zigbuild --release -p rmesos-executor --target $triple.$glibc (zig $("$tools/zig" version))" >&2
"$tools/cargo-zigbuild" zigbuild --manifest-path "$repo/Cargo.toml" --release --locked \
    -p rmesos-executor --target "$triple.$glibc"

built="$target_dir/$triple/release/rmesos-executor"
[ -x "$built" ] || fail "cargo zigbuild finished but $built is missing"
mkdir -p "$(dirname "$output")"
cp -f "$built" "$output.tmp"
# The release profile keeps line tables (debug = 1): a 5x larger download
# for every agent that fetches the executor. Symbols stay, so backtraces
# still name functions.
if command -v strip >/dev/null 2>&1; then
    strip --strip-debug "$output.tmp"
fi
mv -f "$output.tmp" "$output"

bash "$repo/scripts/check-glibc.sh" "$output" "$glibc" >&2
echo "$output"
