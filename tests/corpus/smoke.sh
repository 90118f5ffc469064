#!/bin/sh
# smoke.sh - every file of ../shared/corpus (bounces, not-bounces, mboxes) gives one JSON record
# per message, and no crash: the accuracy checks of the bounce work build on this.
set -eu
corpus="$MD_SOURCE_ROOT/../shared/corpus"
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
files=$(find "$corpus/bounces/emails" "$corpus/not-bounces" -type f -name '*.eml' | sort)
n=$(echo "$files" | wc -l)
status=0
# shellcheck disable=SC2086
"$MAILDIAG" --format=jsonl $files >"$tmp" || status=$?
[ "$status" -le 65 ] || { echo "maildiag exited $status" >&2; exit 1; }
# A file that starts with a From_ line is read as mbox: a few corpus files hold two messages.
got=$(grep -o '"source":"[^"]*"' "$tmp" | sort -u | wc -l)
echo "corpus: $(wc -l <"$tmp") records from $got of $n files"
[ "$got" -eq "$n" ] || exit 1
for m in "$corpus"/mbox/*; do
    status=0
    "$MAILDIAG" --format=jsonl "$m" >"$tmp" || status=$?
    [ "$status" -le 65 ] || { echo "$m: maildiag exited $status" >&2; exit 1; }
    want=$(grep -c '^From ' "$m" || true)
    got=$(wc -l <"$tmp")
    echo "$(basename "$m"): $got records, $want From_ lines"
    [ "$got" -ge 1 ] && [ "$got" -le "$want" ] || exit 1
done
