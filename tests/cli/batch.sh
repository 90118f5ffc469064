#!/bin/sh
# batch.sh - batches (issue #10): maildirs, an mbox of the bounce corpus analysed on one thread and
# on two with the same output in the same order, the text batch summary, and --format=markdown's
# table and escaping. Prints TAP; also prints (as a TAP comment) the -j 1 / -j 2 wall times.
set -u
cd "$MD_SOURCE_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/tap.sh

M=$MAILDIAG

# A maildir: cur/ and new/ mixed, taken in file-name order; tmp/ and dot files are not mail yet.
md=$tmp/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
cp samples/greylisted.eml "$md/new/1700000002.M2.host"
cp samples/slow-hop.eml "$md/cur/1700000001.M1.host:2,S"
cp samples/bounce-postfix-dsn.eml "$md/cur/1700000003.M3.host:2,"
cp samples/slow-hop.eml "$md/tmp/1700000000.M0.host"
cp samples/slow-hop.eml "$md/cur/.hidden"
check "maildir as jsonl" 0 "$M -j 2 --format=jsonl $md"
expect "maildir gives one line a message" "[ \$(wc -l <$tmp/out) -eq 3 ]"
expect "maildir lines in name order" \
    "sed -n 's/.*\"source\":\"\\([^\"]*\\)\".*/\\1/p' $tmp/out | sed 's,.*/,,' >$tmp/names &&
     printf '%s\n' 1700000001.M1.host:2,S 1700000002.M2.host 1700000003.M3.host:2, | cmp -s - $tmp/names"
expect "maildir indexes its messages" "grep -q '\"index\":2,' $tmp/out"

# An mbox of the first 200 corpus bounces (a file's own From_ line dropped, body From_ quoted).
box=$tmp/corpus.mbox
for f in $(ls "$MD_SOURCE_ROOT"/../shared/corpus/bounces/emails/*.eml 2>/dev/null | head -200); do
    printf 'From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n'
    sed '1{/^From /d}; s/^From />From /' "$f"
    echo
done >"$box"
if [ -s "$box" ]; then
    start=$(date +%s%N)
    check "corpus mbox with -j 1" 0 "$M -q -j 1 --format=jsonl $box"
    mid=$(date +%s%N)
    cp "$tmp/out" "$tmp/j1"
    check "corpus mbox with -j 2" 0 "$M -q -j 2 --format=jsonl $box"
    end=$(date +%s%N)
    expect "corpus mbox gives 200 lines" "[ \$(wc -l <$tmp/j1) -eq 200 ]"
    expect "-j 2 output is -j 1's, in order" "cmp -s $tmp/j1 $tmp/out"
    echo "# 200 messages: -j 1 $(((mid - start) / 1000000)) ms, -j 2 $(((end - mid) / 1000000)) ms"
    check "corpus mbox as text" 0 "$M -q -j 2 $box"
    expect "text ends with a batch summary" "grep -q '^Batch summary: 200 messages analysed' $tmp/out"
    expect "verdict counts add up to the messages" \
        "awk '/^Verdicts/{v=1;next} /^[A-Z]/{v=0} v{s+=\$2} END{exit s!=200}' $tmp/out"
    expect "reason counts add up to the recipients" \
        "awk '/^Reasons \\(/{want=substr(\$2,2);r=1;next} /^[A-Z]/{r=0} r{s+=\$NF} END{exit !(want>0 && s==want)}' $tmp/out"
    expect "at most 5 recipient domains" \
        "awk '/^Top recipient domains/{d=1;next} /^[A-Z]/{d=0} d && !/more\\)\$/{c++} END{exit !(c>=1 && c<=5)}' $tmp/out"
    expect "remote MTAs listed" "grep -q '^Top remote MTAs' $tmp/out"
else
    echo "# no corpus at ../shared/corpus: mbox checks skipped"
fi
check "one message has no batch summary" 0 "$M samples/slow-hop.eml"
expect "no summary for one message" "! grep -q 'Batch summary' $tmp/out"
check "bad --jobs is usage" 64 "$M -j -1 samples/slow-hop.eml"

# Markdown: the ticket snippet.
check "markdown of a bounce" 0 "$M --format=markdown samples/bounce-postfix-dsn.eml"
expect "markdown has the hop table" \
    "grep -qF '| Hop | From | By | With | Time (UTC) | Delay |' $tmp/out"
expect "markdown has the recipients table" "grep -qF '| bob@example.net | failed | 550 5.1.1 |' $tmp/out"
expect "markdown has no raw HTML" "! grep -q '\(^\|[^\\]\)<[a-zA-Z/]' $tmp/out"
printf 'From: a@example.org\nTo: b@example.net\nSubject: A|B *bold* <b>x</b>\nReceived: from x.example.org by mx|pipe.example.net; Tue, 3 Nov 2026 09:00:00 +0000\n\nbody\n' >"$tmp/pipe.eml"
check "markdown of a message with | in values" 0 "$M --format=markdown $tmp/pipe.eml"
expect "| in the Subject is escaped" "grep -qF 'A\\|B \\*bold\\* \\<b\\>x\\</b\\>' $tmp/out"
expect "| in a hop cell is escaped" "grep -qF 'mx\\|pipe.example.net' $tmp/out"
expect "every table row has its six cells" \
    "awk -F' [|] ' '/^[|] [0-9]/{ if (NF != 6) exit 1 }' $tmp/out"
check "markdown of two messages" 0 "$M --format=markdown samples/slow-hop.eml samples/greylisted.eml"
expect "messages are separated by a rule" "[ \$(grep -c '^---\$' $tmp/out) -eq 1 ]"

echo "1..$n"
[ "$failed" -eq 0 ]
