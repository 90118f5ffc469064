#!/bin/sh
# filter.sh - --filter as procmail, maildrop or Sieve sees it (DESIGN §7, issue #10): the input
# passes through byte for byte with one X-Maildiag field per message, whatever the input; only
# an I/O failure is 75. Also --format=headers and --exit-verdict. Prints TAP.
set -u
cd "$MD_SOURCE_ROOT"
M=$MAILDIAG
corpus=${MD_CORPUS:-$MD_SOURCE_ROOT/../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    echo "not ok $n - $1"
    failed=$((failed + 1))
}

# unfield FILE : FILE without the fields --filter adds: an X-Maildiag field (with its folds) at
# the very start or right after a From_ line, whatever the line end (LF, CRLF, CR).
unfield() {
    perl -0777 -pe 's/((?:\A|(?<=[\r\n]))From [^\r\n]*(?:\r\n|\r|\n)|\A)X-Maildiag:[^\r\n]*(?:\r\n|\r|\n)(?:\t[^\r\n]*(?:\r\n|\r|\n))*/$1/g' "$1"
}
# fields FILE : how many X-Maildiag fields FILE holds at line starts, any line end, any case
fields() {
    perl -0777 -ne '$n = () = /(?:\A|[\r\n])X-Maildiag\s*:/gi; print $n' "$1"
}
# field_ok FILE : every field line is printable US-ASCII and at most 78 characters; folds use a tab
field_ok() {
    perl -0777 -ne 'while (/(?:\A|[\r\n])(X-Maildiag:[^\r\n]*(?:(?:\r\n|\r|\n)\t[^\r\n]*)*)/g) {
        for my $l (split /\r\n|\r|\n/, $1) { exit 1 if length ($l) > 78 || $l =~ /[^\t\x20-\x7e]/ } }
        exit 0' "$1"
}
# pass_through NAME FILE [OPTION…] : --filter exits 0, adds as many fields as --format=headers
# prints (one a message), and the output minus those fields is FILE byte for byte.
pass_through() {
    name=$1 file=$2
    shift 2
    "$M" --filter "$@" <"$file" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    unfield "$tmp/out" >"$tmp/back"
    "$M" --format=headers "$@" "$file" 2>/dev/null | grep -c '^X-Maildiag:' >"$tmp/want"
    got=$(fields "$tmp/out")
    if [ "$rc" -ne 0 ]; then
        not_ok "$name: exit $rc"
    elif ! cmp -s "$file" "$tmp/back"; then
        not_ok "$name: output minus X-Maildiag differs from input"
        cmp "$file" "$tmp/back" 2>&1 | sed 's/^/# /'
    elif [ "$got" -ne "$(cat "$tmp/want")" ] || [ "$got" -lt 1 ]; then
        not_ok "$name: $got fields, want one per message ($(cat "$tmp/want"))"
    elif ! field_ok "$tmp/out"; then
        not_ok "$name: a field line is over 78 characters or not ASCII"
    else
        ok "$name"
    fi
}

# Every file of the shared corpus, as it is.
for f in "$corpus"/bounces/emails/* "$corpus"/not-bounces/* "$corpus"/mbox/*; do
    [ -f "$f" ] || continue
    pass_through "pass-through ${f#"$corpus"/}" "$f"
done

# Line ends: CRLF and CR-only copies; the field takes the input's line end.
for s in samples/bounce-postfix-dsn.eml samples/slow-hop.eml samples/spam-spamassassin.eml \
    "$corpus"/mbox/mbox-0; do
    b=$(basename "$s")
    perl -pe 's/\r?\n/\r\n/' "$s" >"$tmp/$b.crlf"
    perl -pe 's/\r?\n/\r/' "$s" >"$tmp/$b.cr"
    pass_through "pass-through CRLF $b" "$tmp/$b.crlf"
    "$M" --filter <"$tmp/$b.crlf" >"$tmp/out"
    if perl -0777 -ne 'exit (/(?:\A|\n)X-Maildiag:(?:[^\r\n]*\r\n\t)*[^\r\n]*\r\n/ ? 0 : 1)' "$tmp/out"; then
        ok "CRLF field of $b ends its lines in CRLF"
    else
        not_ok "CRLF field of $b ends its lines in CRLF"
    fi
    "$M" --filter <"$tmp/$b.cr" >"$tmp/out"
    rc=$?
    unfield "$tmp/out" >"$tmp/back"
    if [ "$rc" -eq 0 ] && cmp -s "$tmp/$b.cr" "$tmp/back" && ! perl -0777 -ne 'exit(/\n/ ? 0 : 1)' "$tmp/out" &&
        [ "$(fields "$tmp/out")" -ge 1 ]; then
        ok "pass-through CR-only $b, field in CR"
    else
        not_ok "pass-through CR-only $b, field in CR (exit $rc)"
    fi
done

# A message without a final line end, and one that is a header block alone.
printf 'From: a@example.org\nSubject: x\n\nno line end' >"$tmp/noeol"
pass_through "pass-through without a final line end" "$tmp/noeol"
printf 'From: a@example.org\nSubject: only headers\n' >"$tmp/headers"
pass_through "pass-through of a header block alone" "$tmp/headers"

# An mbox of two messages with blank separator lines, the last one too, and text "From " in a body.
{
    printf 'From a@example.org Tue Nov  3 09:00:00 2026\n'
    cat samples/slow-hop.eml
    printf '\nFrom b@example.org Tue Nov  3 09:00:00 2026\n'
    cat samples/greylisted.eml
    printf 'From the body, not a separator\n\n'
} >"$tmp/box"
pass_through "pass-through mbox with separators" "$tmp/box"
perl -pe 's/\n/\r\n/' "$tmp/box" >"$tmp/box.crlf"
pass_through "pass-through CRLF mbox" "$tmp/box.crlf"

# Forged fields in the top header block go, continuation lines and all; nothing else changes.
{
    printf 'X-Maildiag: forged.example 1; verdict=ok\n'
    printf 'Return-Path: <carol@example.org>\n'
    printf 'x-maildiag : forged.example 1;\n\tverdict=ok\n  rule.id=none\n'
    sed -n '2,$p' samples/slow-hop.eml | sed '/^$/q'
    printf 'X-Maildiag: in the body, stays\n'
} >"$tmp/forged"
{
    printf 'Return-Path: <carol@example.org>\n'
    sed -n '2,$p' samples/slow-hop.eml | sed '/^$/q'
    printf 'X-Maildiag: in the body, stays\n'
} >"$tmp/forged.want"
"$M" --filter <"$tmp/forged" >"$tmp/out" 2>"$tmp/err"
rc=$?
unfield "$tmp/out" >"$tmp/back"
heads=$(sed '/^$/q' "$tmp/out" | grep -ci '^x-maildiag')
if [ "$rc" -eq 0 ] && cmp -s "$tmp/forged.want" "$tmp/back" && [ "$heads" -eq 1 ] &&
    ! grep -q forged.example "$tmp/out"; then
    ok "forged X-Maildiag fields are replaced by exactly one"
else
    not_ok "forged X-Maildiag fields are replaced by exactly one (exit $rc, $heads fields)"
fi
{
    printf 'From a@example.org Tue Nov  3 09:00:00 2026\nX-Maildiag: forged.example 1; verdict=ok\n'
    sed -n '2,$p' samples/slow-hop.eml
} >"$tmp/forged-box"
"$M" --filter <"$tmp/forged-box" >"$tmp/out"
if [ "$(fields "$tmp/out")" -eq 1 ] && ! grep -q forged.example "$tmp/out" &&
    head -1 "$tmp/out" | grep -q '^From a@example.org'; then
    ok "forged field after a From_ line is replaced"
else
    not_ok "forged field after a From_ line is replaced"
fi

# Failures to analyse still pass the input through, with verdict=error, exit 0.
pass_through "over --max-size passes through" samples/slow-hop.eml --max-size=100
"$M" --filter --max-size=100 <samples/slow-hop.eml >"$tmp/out" 2>/dev/null
if head -1 "$tmp/out" | grep -q '; verdict=error reason=toobig$'; then
    ok "over --max-size says verdict=error reason=toobig"
else
    not_ok "over --max-size says verdict=error reason=toobig"
fi
"$M" --filter </dev/null >"$tmp/out" 2>/dev/null
rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] &&
    grep -Eq '^X-Maildiag: [^ ]+ 1; verdict=error reason=notmail$' "$tmp/out"; then
    ok "empty input gives the field alone, exit 0"
else
    not_ok "empty input gives the field alone, exit 0 (exit $rc)"
fi
head -c 4096 "$M" >"$tmp/binary"
pass_through "binary input passes through" "$tmp/binary"
mkdir -p "$tmp/bad"
printf '[bad.rule]\ntitle = x\ncategory = delay\nseverity = warning\nnonsense = 1\n' >"$tmp/bad/a.rules"
"$M" --filter --rules="$tmp/bad" <samples/slow-hop.eml >"$tmp/out" 2>"$tmp/err"
rc=$?
unfield "$tmp/out" >"$tmp/back"
if [ "$rc" -eq 0 ] && cmp -s samples/slow-hop.eml "$tmp/back" &&
    head -1 "$tmp/out" | grep -q 'verdict=error reason=rules$' && grep -q 'a.rules:5' "$tmp/err"; then
    ok "a bad rule file passes mail through with verdict=error"
else
    not_ok "a bad rule file passes mail through with verdict=error (exit $rc)"
fi

# Only I/O failures are errors: 75, so the MTA keeps the mail.
"$M" --filter <samples/slow-hop.eml >/dev/full 2>/dev/null
rc=$?
if [ "$rc" -eq 75 ]; then ok "writing to /dev/full is 75"; else not_ok "writing to /dev/full is 75 (got $rc)"; fi
"$M" --filter <"$tmp" >/dev/null 2>/dev/null
rc=$?
if [ "$rc" -eq 75 ]; then ok "unreadable input is 75"; else not_ok "unreadable input is 75 (got $rc)"; fi
"$M" --filter --format=json <samples/slow-hop.eml >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 64 ]; then ok "--filter with --format is usage"; else not_ok "--filter with --format is usage (got $rc)"; fi

# --exit-verdict: 0 ok, 1 delayed or deferred, 2 spam, 3 rejected; the worst of several.
for pair in bounce-postfix-dsn:3 bounce-delayed:1 spam-spamassassin:2 plain-postfix:0; do
    s=${pair%:*} want=${pair#*:}
    "$M" --exit-verdict "samples/$s.eml" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "--exit-verdict $s is $want"; else not_ok "--exit-verdict $s is $want (got $rc)"; fi
    "$M" --filter --exit-verdict <"samples/$s.eml" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "--filter --exit-verdict $s is $want"; else
        not_ok "--filter --exit-verdict $s is $want (got $rc)"
    fi
done
"$M" --exit-verdict --format=jsonl samples/plain-postfix.eml samples/bounce-postfix-dsn.eml \
    samples/bounce-delayed.eml >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 3 ]; then ok "--exit-verdict takes the worst message"; else not_ok "--exit-verdict takes the worst message (got $rc)"; fi
"$M" samples/bounce-postfix-dsn.eml >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "without --exit-verdict a rejection exits 0"; else not_ok "without --exit-verdict a rejection exits 0 (got $rc)"; fi

# --format=headers prints the one field, the same as --filter adds.
"$M" --format=headers samples/bounce-postfix-dsn.eml >"$tmp/out" 2>/dev/null
rc=$?
if [ "$rc" -eq 0 ] && head -1 "$tmp/out" | grep -Eq '^X-Maildiag: [^ ]+ 1; verdict=rejected reason=userunknown' &&
    [ "$(grep -vc '^	' "$tmp/out")" -eq 1 ] && grep -q 'rcpt.status=5.1.1' "$tmp/out" &&
    grep -q 'smtp.reply=550' "$tmp/out" && grep -q 'rcpt.addr=bob@example.net' "$tmp/out" &&
    field_ok "$tmp/out"; then
    ok "--format=headers prints one field"
else
    not_ok "--format=headers prints one field (exit $rc)"
fi
"$M" --filter <samples/bounce-postfix-dsn.eml | sed -n '/^X-Maildiag:/,/^[^	]/p' | sed '$d' >"$tmp/field"
if cmp -s "$tmp/out" "$tmp/field"; then ok "--format=headers equals the field --filter adds"; else
    not_ok "--format=headers equals the field --filter adds"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
