#!/bin/sh
# run.sh - the program as an MTA or a script sees it: exit codes (DESIGN §7), formats, batches,
# standard input, mbox on a pipe, rule errors, output failure. Prints TAP.
set -u
cd "$MD_SOURCE_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/tap.sh

M=$MAILDIAG
check "version" 0 "$M --version"
expect "version names the program" "grep -q '^maildiag [0-9]' $tmp/out"
check "help" 0 "$M --help"
expect "help lists exit codes" "grep -q '78 bad rule file' $tmp/out"
check "bad option is usage" 64 "$M --no-such-option"
expect "bad option says how to get help" "grep -q \"Try 'maildiag --help'\" $tmp/err"
check "unknown format is usage" 64 "$M --format=yaml samples/slow-hop.eml"
check "missing file" 66 "$M no/such/file.eml"
expect "missing file is named" "grep -q 'no/such/file.eml' $tmp/err"
check "empty input" 65 "$M </dev/null"
expect "empty input says so" "grep -q 'empty input' $tmp/err"
check "binary input" 65 "head -c 4096 $M | $M"
check "prose is not mail" 65 "echo 'hello there' | $M"
check "over --max-size" 65 "$M --max-size=100 samples/slow-hop.eml"
check "bad --max-size" 64 "$M --max-size=lots samples/slow-hop.eml"
check "text on a file" 0 "$M samples/slow-hop.eml"
expect "text has a hop table" "grep -q 'Received chain' $tmp/out"
expect "no colour when not a TTY" "! grep -q \"$(printf '\033')\" $tmp/out"
check "json on stdin" 0 "$M --format=json - <samples/slow-hop.eml"
expect "json source is -" "grep -q '\"source\": \"-\"' $tmp/out"
check "json with two files is usage" 64 "$M --format=json samples/slow-hop.eml samples/greylisted.eml"
check "jsonl with two files" 0 "$M --format=jsonl samples/slow-hop.eml samples/greylisted.eml"
expect "jsonl gives two lines" "[ \$(wc -l <$tmp/out) -eq 2 ]"
expect "jsonl indexes files" "grep -q '\"index\":1' $tmp/out"
printf 'From a@example.org Tue Nov  3 09:00:00 2026\n' >"$tmp/box"
cat samples/slow-hop.eml >>"$tmp/box"
printf '\nFrom b@example.org Tue Nov  3 09:00:00 2026\n' >>"$tmp/box"
cat samples/greylisted.eml >>"$tmp/box"
check "mbox on a pipe" 0 "cat $tmp/box | $M --format=jsonl"
expect "mbox gives one line a message" "[ \$(wc -l <$tmp/out) -eq 2 ]"
expect "mbox indexes messages" "grep -q '\"index\":1,' $tmp/out"
check "a bad file among good ones" 66 "$M --format=jsonl samples/slow-hop.eml nope.eml samples/greylisted.eml"
expect "the good files still analysed" "[ \$(wc -l <$tmp/out) -eq 2 ]"
check "writing to a full disk" 74 "$M samples/slow-hop.eml >/dev/full"
check "check-rules" 0 "$M --check-rules"
expect "check-rules counts rules and files" "grep -Eq '^[0-9]+ rules in [0-9]+ files: OK' $tmp/out"
mkdir -p "$tmp/bad"
printf '[bad.rule]\ntitle = x\ncategory = delay\nseverity = warning\nnonsense = 1\n' >"$tmp/bad/a.rules"
check "bad rule file" 78 "$M --rules=$tmp/bad --check-rules"
expect "bad rule names file and line" "grep -q 'a.rules:5' $tmp/err"
check "missing rules dir" 78 "$M --rules=$tmp/none --check-rules"
check "no rules at all still analyses" 0 "$M --no-default-rules --format=json samples/slow-hop.eml"
expect "no rules, no findings" "grep -q '\"findings\": \\[' $tmp/out && ! grep -q '\"rule\":' $tmp/out"
check "explain shows evidence" 0 "$M --explain samples/slow-hop.eml"
expect "explain names the matched field" "grep -q 'hop.delay' $tmp/out"
printf 'Received: from a (a [192.0.2.1]) by b with SMTP; Tue, 3 Nov 2026 09:00:00 +0000\r\nFrom: x@example.org\r\n' >"$tmp/crlf"
check "CRLF header paste" 0 "$M --format=json $tmp/crlf"
expect "CRLF paste is kind headers" "grep -q '\"kind\": \"headers\"' $tmp/out && grep -q '\"line_ending\": \"crlf\"' $tmp/out"

# The trust boundary (issue #9): the forged all-pass results below the receiver's change nothing;
# trusting another authserv-id leaves no trusted result, so no authentication finding.
check "forged results are not trusted" 0 "$M samples/auth-forged-results.eml"
expect "the receiver's DMARC failure is reported" "grep -q 'DMARC failed for bank.example' $tmp/out"
check "--authserv-id chooses whom to trust" 0 "$M --authserv-id=mx.nowhere.example samples/auth-forged-results.eml"
expect "no trusted result, no DMARC finding" "! grep -q 'DMARC failed' $tmp/out"
check "--authserv-id repeated" 0 "$M --format=json --authserv-id=a.example --authserv-id=mx.example.org samples/auth-forged-results.eml"
expect "the named receiver's results are trusted" "grep -q '\"trusted\": true' $tmp/out"

if command -v script >/dev/null; then
    # script(1) gives maildiag a terminal: colour there, and never with NO_COLOR.
    check "colour on a terminal" 0 "env -u NO_COLOR script -qec '$M samples/slow-hop.eml' /dev/null"
    expect "terminal output has ANSI colour" "grep -q \"$(printf '\033')\[\" $tmp/out"
    check "NO_COLOR on a terminal" 0 "NO_COLOR=1 script -qec '$M samples/slow-hop.eml' /dev/null"
    expect "NO_COLOR output has no ANSI colour" "! grep -q \"$(printf '\033')\[\" $tmp/out"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
