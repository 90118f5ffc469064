#!/bin/sh
# check.sh SAMPLE - runs maildiag on samples/SAMPLE as json, as text and as markdown and byte-compares
# with tests/golden/SAMPLE-without-.eml.{json,txt,md}. MD_GOLDEN_UPDATE=1 rewrites them (on purpose only).
set -eu
sample=$1
name=${sample%.eml}
cd "$MD_SOURCE_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
"$MAILDIAG" --format=json "samples/$sample" >"$tmp/$name.json" || status=$?
"$MAILDIAG" --explain "samples/$sample" >"$tmp/$name.txt" || status=$?
"$MAILDIAG" --format=markdown "samples/$sample" >"$tmp/$name.md" || status=$?
if [ "$status" -ne 0 ]; then
    echo "maildiag exited $status on samples/$sample" >&2
    exit 1
fi
for ext in json txt md; do
    want=tests/golden/$name.$ext
    if [ "${MD_GOLDEN_UPDATE:-}" = 1 ]; then
        cp "$tmp/$name.$ext" "$want"
        echo "updated $want"
    elif [ ! -f "$want" ]; then
        echo "missing $want (create it with MD_GOLDEN_UPDATE=1 meson test --suite golden)" >&2
        exit 1
    elif ! cmp -s "$want" "$tmp/$name.$ext"; then
        diff -u "$want" "$tmp/$name.$ext" >&2 || true
        exit 1
    fi
done
