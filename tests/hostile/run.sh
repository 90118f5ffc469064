#!/bin/sh
# run.sh - hostile input (issue #10 item 7): every input below gets a clear result (an exit
# status, a warning) in bounded time and memory. Inputs are generated here, into a temp dir.
# Prints TAP.   run.sh HOSTILE_RUN   (env: MAILDIAG, MD_SOURCE_ROOT)
#
# The bounds (wall-clock seconds, peak RSS in MB), as measured on Debian 12 (2 cores) and with
# headroom for a loaded CI machine; hostile-run scales them under ASan (see hostile-run.c):
#   small inputs (empty, 1 byte, binary, NUL, invalid UTF-8)   5 s,  64 MB  (they use ~10 MB)
#   a 100 MB header line, default --max-size (64M)             5 s,  64 MB  (refused by size)
#   the same on a pipe (read up to the limit, then refused)    5 s, 128 MB  (uses 71 MB)
#   the same with --max-size=200M: analysed, the field cut at
#     MD_MAX_HEADER_VALUE (64 KiB, src/message.c) before GMime
#     sees it                                                 10 s, 256 MB  (uses 204 MB: the
#                                  input, and a second copy of it made in src/cli/main.c; it was
#                                  790 MB before the cut, GMime keeping five copies of the field)
#   10,000 Received fields                                     5 s,  64 MB
#   MIME nested 1,000 deep (MD_MAX_MIME_DEPTH 32)              5 s,  64 MB
#   a DSN with 10,000 recipients (MD_DSN_MAX_RECIPIENTS)       5 s, 128 MB
#   truncated base64 report parts                              5 s,  64 MB
#   ^(a+)+$ on 50,000 a's then b (MD_PATTERN_MATCH_LIMIT)      5 s,  64 MB
set -u
run=$1
M=$MAILDIAG
# meson test sets MALLOC_PERTURB_: glibc then fills every allocation, so capacity allocated but
# never touched would count in the peak RSS. The bounds are about what maildiag really uses.
unset MALLOC_PERTURB_
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# case NAME WANT_STATUS SECONDS RSS_MB STDIN ARGS… : runs maildiag on bounded resources.
case_() {
    name=$1 want=$2 secs=$3 mb=$4 in=$5
    shift 5
    n=$((n + 1))
    "$run" "$secs" "$mb" "$in" "$tmp/out" -- "$M" "$@" 2>"$tmp/run"
    got=$?
    if [ "$got" -eq "$want" ]; then
        echo "ok $n - $name ($(cat "$tmp/run"))"
    else
        case $got in
            124) why="timed out" ;;
            125) why="over the memory bound" ;;
            *) why="exit $got, want $want" ;;
        esac
        echo "not ok $n - $name: $why ($(cat "$tmp/run"))"
        sed 's/^/# /' "$tmp/out.err" | head -5
        failed=$((failed + 1))
    fi
}
# expect NAME SHELL-CONDITION : a condition on the last case's output ($tmp/out, $tmp/out.err).
expect() {
    n=$((n + 1))
    if sh -c "$2"; then echo "ok $n - $1"; else
        echo "not ok $n - $1"
        failed=$((failed + 1))
    fi
}
json_ok() { expect "$1: the JSON output is well-formed UTF-8" "'$run' --json '$tmp/out'"; }
has() { expect "$1" "grep -q -- '$2' '$tmp/out'"; }

# --- tiny and broken inputs ---------------------------------------------------------------------
: >"$tmp/empty"
case_ "empty input" 65 5 64 "$tmp/empty" --format=json
expect "empty input says so" "grep -q 'empty input' '$tmp/out.err'"
printf 'a' >"$tmp/one"
case_ "one byte" 65 5 64 "$tmp/one" --format=json
head -c 65536 "$M" >"$tmp/binary"
case_ "binary" 65 5 64 "$tmp/binary" --format=json
expect "binary input says so" "grep -q 'binary input' '$tmp/out.err'"
printf 'Received: from a\000b (a [192.0.2.1])\000 by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\nFrom: x\000@example.org\nSub\000ject: nul\000bytes\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\000with\000nul\n' >"$tmp/nul"
case_ "NUL bytes" 0 5 64 "$tmp/nul" --format=json
json_ok "NUL bytes"
has "NUL bytes are repaired" '"nul-bytes"'
# 0xff 0xfe, an overlong NUL (0xc0 0x80), a lone continuation byte, a cut 3-byte sequence and a
# surrogate, in names, values, an encoded word, a display name, Received, a DSN and the body.
bad=$(printf '\377\376\300\200\200\342\202\355\240\200')
b64=$(printf '\377\376\300\200x' | base64)
{
    printf 'Received: from h%s (h%s [192.0.2.1]) by mx%s.example.org; Mon, 1 Jan 2024 00:00:00 +0000\n' "$bad" "$bad" "$bad"
    printf 'X-%s: %s\n' "$bad" "$bad"
    printf 'From: "%s" <u%s@example.org>\n' "$bad" "$bad"
    printf 'Subject: =?utf-8?B?%s?= %s =?iso-2022-jp?B?%s?=\n' "$b64" "$bad" "$b64"
    printf 'Authentication-Results: mx%s.example.org; spf=pass%s smtp.mailfrom=%s\n' "$bad" "$bad" "$bad"
    printf 'Date: Mon, 1 Jan 2024 00:00:%s +0000\n' "$bad"
    printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
    printf -- '--b\nContent-Type: text/plain; charset=utf-8\n\n%s 550 5.1.1 %s\n' "$bad" "$bad"
    printf -- '--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; %s\n\n' "$bad"
    printf 'Final-Recipient: rfc822; u%s@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 %s\n' "$bad" "$bad"
    printf -- '--b--\n'
} >"$tmp/utf8"
case_ "invalid UTF-8 everywhere" 0 5 64 "$tmp/utf8" --format=json
json_ok "invalid UTF-8"
case_ "invalid UTF-8, text output" 0 5 64 "$tmp/utf8"
expect "invalid UTF-8: the text output is valid UTF-8" "iconv -f UTF-8 -t UTF-8 '$tmp/out' >/dev/null"

# --- a 100 MB header line -----------------------------------------------------------------------
{
    printf 'From: x@example.org\nTo: y@example.org\nSubject: '
    head -c 100000000 /dev/zero | tr '\0' a
    printf '\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n'
} >"$tmp/big"
case_ "100 MB header line, default --max-size" 65 5 64 "$tmp/big" --format=json "$tmp/big"
expect "it is refused as over --max-size" "grep -q 'max-size' '$tmp/out.err'"
M=sh
case_ "100 MB header line on a pipe" 65 5 128 - -c "cat '$tmp/big' | '$MAILDIAG' --format=json"
M=$MAILDIAG
expect "it is refused as over --max-size" "grep -q 'max-size' '$tmp/out.err'"
case_ "100 MB header line, --max-size=200M" 0 10 256 - --max-size=200M --format=json "$tmp/big"
json_ok "100 MB header line"
has "the field is cut with a warning" '"header-truncated"'
expect "the output stays small (the 64 KiB cut, not 100 MB)" "[ \$(wc -c <'$tmp/out') -lt 1000000 ]"
rm -f "$tmp/big"

# --- many fields, deep MIME, big reports ------------------------------------------------------
awk 'BEGIN {
    for (i = 10000; i >= 1; i--)
        printf "Received: from h%d.example.org (h%d.example.org [192.0.2.%d]) by h%d.example.org with ESMTP id %d; Mon, 1 Jan 2024 %02d:%02d:%02d +0000\n", i, i, i % 250 + 1, i + 1, i, int(i / 3600) % 24, int(i / 60) % 60, i % 60
    printf "From: x@example.org\nSubject: many hops\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n"
}' >"$tmp/received"
case_ "10,000 Received fields" 0 5 64 "$tmp/received" --format=json
json_ok "10,000 Received fields"
has "every hop is counted" '"hop_count": 10000'

awk 'BEGIN {
    printf "From: x@example.org\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
    for (i = 0; i < 1000; i++)
        printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1
    printf "--b1000\nContent-Type: text/plain\n\ndeepest\n--b1000--\n"
    for (i = 999; i >= 0; i--)
        printf "--b%d--\n", i
}' >"$tmp/deep"
case_ "MIME nested 1,000 deep" 0 5 64 "$tmp/deep" --format=json
json_ok "MIME nested 1,000 deep"

dsn_head='From: MAILER-DAEMON@example.org\nTo: x@example.org\nSubject: Undelivered Mail Returned to Sender\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\nDelivery failed.\n--b\nContent-Type: message/delivery-status\n'
awk -v head="$dsn_head" 'BEGIN {
    printf head "\nReporting-MTA: dns; mx.example.org\n"
    for (i = 1; i <= 10000; i++)
        printf "\nFinal-Recipient: rfc822; u%d@example.net\nAction: failed\nStatus: 5.1.1\n", i
    printf "\n--b--\n"
}' >"$tmp/dsn"
case_ "a DSN with 10,000 recipients" 0 5 128 "$tmp/dsn" --format=json
json_ok "a DSN with 10,000 recipients"
has "the recipients are read" '"u9999@example.net"'

# a base64 report cut in the middle of a quantum, without its closing boundary
body=$(awk 'BEGIN { printf "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; u@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n" }' | base64 -w 0)
{
    printf "$dsn_head"
    printf 'Content-Transfer-Encoding: base64\n\n%s\n' "$(printf %s "$body" | cut -c 1-101)"
} >"$tmp/b64"
case_ "truncated base64 report part" 0 5 64 "$tmp/b64" --format=json
json_ok "truncated base64 report part"
{
    printf "$dsn_head" | sed 's/delivery-status$/feedback-report/'
    printf 'Content-Transfer-Encoding: base64\n\nRmVlZGJhY2stVHlwZTog'
} >"$tmp/b64arf"
case_ "truncated base64 feedback report" 0 5 64 "$tmp/b64arf" --format=json
json_ok "truncated base64 feedback report"

# --- a pattern that backtracks catastrophically -------------------------------------------------
mkdir -p "$tmp/rules"
printf '[hostile.backtrack]\ntitle = backtracking\ncategory = format\nseverity = notice\nheader:Subject = ^(a+)+$\n' >"$tmp/rules/a.rules"
{
    printf 'From: x@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nSubject: '
    head -c 50000 /dev/zero | tr '\0' a
    printf 'b\n\nbody\n'
} >"$tmp/backtrack"
case_ "^(a+)+\$ on 50,000 a's then b" 0 5 64 "$tmp/backtrack" --no-default-rules --rules="$tmp/rules" --format=json
json_ok "backtracking"
has "the rule hits its limit with a warning" '"rule-limit"'
expect "and does not match" "! grep -q 'hostile.backtrack\"' '$tmp/out' || grep -q '\"item\": \"hostile.backtrack\"' '$tmp/out'"

echo "1..$n"
[ "$failed" -eq 0 ]
