#!/usr/bin/env bash
# Lists the glibc symbol versions (GLIBC_x.y) that an ELF binary needs and
# fails, naming the offending symbols, when any is newer than MAX.
# Agents running old images (e.g. Debian stretch, glibc 2.24; CentOS 7,
# glibc 2.17) can only run executors that pass this check.
#
# Usage: scripts/check-glibc.sh BINARY [MAX]     (MAX defaults to 2.17)
# Exit: 0 when every required version is <= MAX (or the binary needs no
# glibc at all), 1 when some symbol needs a newer one, 2 on bad usage.
# Needs binutils (objdump, or readelf as a fallback).
set -euo pipefail

usage() {
    echo "usage: $0 BINARY [MAX=2.17]" >&2
    exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    usage
fi
binary=$1
max=${2:-2.17}
[[ $max =~ ^[0-9]+(\.[0-9]+)*$ ]] || {
    echo "check-glibc: MAX must look like 2.17, not '$max'" >&2
    exit 2
}
[ -f "$binary" ] || {
    echo "check-glibc: $binary: no such file" >&2
    exit 2
}

# One line per dynamic symbol that carries a GLIBC version: "VERSION NAME".
# objdump -T prints the version in a column of its own, "(GLIBC_2.3)" when
# hidden; readelf --dyn-syms prints it as a suffix, "name@GLIBC_2.3 (4)".
versioned_symbols() {
    if command -v objdump >/dev/null 2>&1; then
        # A static binary has no dynamic symbol table: objdump fails, no lines.
        { objdump -T "$binary" 2>/dev/null || true; } | awk '
            match($0, /GLIBC_[0-9A-Z_.]+/) {
                print substr($0, RSTART + 6, RLENGTH - 6), $NF
            }'
    elif command -v readelf >/dev/null 2>&1; then
        { readelf --dyn-syms -W "$binary" 2>/dev/null || true; } | awk '
            match($0, /@+GLIBC_[0-9A-Z_.]+/) {
                text = substr($0, RSTART, RLENGTH)
                sub(/^@+GLIBC_/, "", text)
                name = $8
                sub(/@.*/, "", name)
                print text, name
            }'
    else
        echo "check-glibc: needs objdump or readelf (Debian package binutils)" >&2
        exit 2
    fi
}

if ! head -c 4 "$binary" | grep -q 'ELF'; then
    echo "check-glibc: $binary: not an ELF file" >&2
    exit 2
fi

symbols=$(versioned_symbols)
if [ -z "$symbols" ]; then
    echo "$binary: needs no versioned glibc symbols (static, or not linked against glibc)"
    exit 0
fi

# Versions compare field by field as numbers; a non-numeric version such as
# GLIBC_PRIVATE is never acceptable (it changes between glibc releases).
report=$(awk -v max="$max" '
    function newer(v, limit,    a, b, n, m, i, x, y) {
        if (v !~ /^[0-9.]+$/) return 1
        n = split(v, a, "."); m = split(limit, b, ".")
        for (i = 1; i <= (n > m ? n : m); i++) {
            x = (i <= n ? a[i] + 0 : 0); y = (i <= m ? b[i] + 0 : 0)
            if (x != y) return x > y
        }
        return 0
    }
    {
        count[$1]++
        if (newer($1, max)) bad[$1] = bad[$1] " " $2
    }
    END {
        for (v in count) printf "version GLIBC_%s %d\n", v, count[v]
        for (v in bad) printf "offending GLIBC_%s%s\n", v, bad[v]
    }' <<<"$symbols")

echo "$binary: required glibc symbol versions (symbols using each):"
grep '^version ' <<<"$report" | sort -V -k2 | awk '{ printf "  %-14s %s\n", $2, $3 }'
newest=$(grep '^version ' <<<"$report" | awk '{ print $2 }' | sort -V | tail -n 1)
echo "newest: $newest (allowed: GLIBC_$max)"

if grep -q '^offending ' <<<"$report"; then
    echo "FAIL: symbols need a glibc newer than $max:" >&2
    grep '^offending ' <<<"$report" | sort -V -k2 | while read -r _ version names; do
        echo "  $version: $names" >&2
    done
    exit 1
fi
echo "OK: runs on glibc $max or newer"
