#!/bin/sh
# seed.sh - builds the fuzzers' seed corpora in OUTDIR (one directory per harness) from the
# samples, the rule files and ../shared/corpus (when present): whole messages for input and
# pipeline, and for the small harnesses the values they take, cut out of the messages' header
# blocks (unfolded) and delivery-status parts. Nothing here is committed: run it into a temp dir.
#   fuzz/seed.sh OUTDIR [CORPUS_DIR]     CORPUS_DIR defaults to SOURCE/../shared/corpus
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [CORPUS_DIR]" >&2; exit 2; }
out=$1
src=$(cd "$(dirname "$0")/.." && pwd)
corpus=${2:-$src/../shared/corpus}
for h in input received date authres dsn rules pipeline; do
    mkdir -p "$out/$h"
done

# Whole messages: samples, corpus bounces and not-bounces, corpus mboxes (input only).
n=0
for f in "$src"/samples/*.eml "$corpus"/bounces/emails/* "$corpus"/not-bounces/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$out/pipeline/msg-$n"
    cp "$f" "$out/input/msg-$n"
done
for f in "$corpus"/mbox/*; do
    [ -f "$f" ] && cp "$f" "$out/input/mbox-$(basename "$f")"
done
cp "$src"/rules/*.rules "$out/rules/"

# Field values. authres: the first byte picks the field name in fuzz-authres.c ('0' + index);
# dsn: its low bit asks for RFC 6533 ('1') rather than RFC 3464 ('0').
find "$src/samples" "$corpus/bounces/emails" "$corpus/not-bounces" -type f 2>/dev/null |
awk -v out="$out" '
function emit(dir, prefix, text,    path) {
    path = sprintf("%s/%s/v-%d", out, dir, ++count)
    printf "%s%s", prefix, text > path
    close(path)
}
function field(line,    colon, name, value, lname, i) {
    colon = index(line, ":")
    if (colon < 2)
        return
    name = substr(line, 1, colon - 1)
    value = substr(line, colon + 1)
    sub(/^[ \t]+/, "", value)
    lname = tolower(name)
    if (lname == "received") {
        emit("received", "", value)
        i = match(value, /;[^;]*$/)
        if (i > 0)
            emit("date", "", substr(value, i + 1))
    } else if (lname == "date")
        emit("date", "", value)
    else if (lname in authres)
        emit("authres", authres[lname], value)
}
BEGIN {
    split("authentication-results arc-authentication-results " \
          "x-ms-exchange-authentication-results x-original-authentication-results " \
          "authentication-results-original received-spf arc-seal dkim-signature", names, " ")
    for (i = 1; i <= 8; i++)
        authres[names[i]] = sprintf("%d", i - 1)
}
{
    file = $0
    inhead = 1; cur = ""; dsn = 0; dsnhead = 0; body = ""
    while ((getline line < file) > 0) {
        sub(/\r$/, "", line)
        if (inhead) {
            if (line ~ /^[ \t]/ && cur != "") {
                sub(/^[ \t]+/, " ", line)
                cur = cur line
                continue
            }
            if (cur != "")
                field(cur)
            cur = line
            if (line == "") {
                inhead = 0; cur = ""
            }
            continue
        }
        # delivery-status parts: skip the part header, keep the body up to the next boundary
        if (dsn == 0 && tolower(line) ~ /^content-type:[ \t]*message\/(global-)?delivery-status/) {
            dsn = 1; dsnhead = 1; body = ""
            global = tolower(line) ~ /global/ ? "1" : "0"
            continue
        }
        if (dsn == 1 && dsnhead) {
            if (line == "")
                dsnhead = 0
            continue
        }
        if (dsn == 1) {
            if (substr(line, 1, 2) == "--") {
                emit("dsn", global, body); dsn = 0
            } else
                body = body line "\n"
        }
    }
    if (cur != "")
        field(cur)
    if (dsn == 1 && body != "")
        emit("dsn", global, body)
    close(file)
}'
for h in input received date authres dsn rules pipeline; do
    printf '%s: %s seeds\n' "$h" "$(ls "$out/$h" | wc -l)"
done
