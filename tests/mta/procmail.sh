#!/bin/sh
# procmail.sh - real procmail runs samples/procmailrc on sample messages: maildiag --filter as a
# ":0 fw" recipe, then the filing recipes. Checks each message lands in the expected mbox folder
# with its From_ line first, the X-Maildiag field right after it and present once, and the stored
# message minus the field equal to the input byte for byte (DESIGN §7). Prints TAP; skips when
# procmail is not installed or the program has no --filter.
set -u
src=${MD_SOURCE_ROOT:?}
M=${MAILDIAG:?}

if ! command -v procmail >/dev/null 2>&1; then
    echo "1..0 # SKIP procmail not installed (apt-get install procmail)"
    exit 0
fi
if ! "$M" --help 2>/dev/null | grep -q -- --filter; then
    echo "1..0 # SKIP $M has no --filter"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok NAME [LOG-FILE]
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    if [ $# -gt 1 ] && [ -f "$2" ]; then sed 's/^/# /' "$2" | head -20; fi
}

# The rcfile runs maildiag by name: put the built program on procmail's PATH. A wrapper, not a
# symlink, so that the program still sees that it runs from the build tree (and finds its rules).
mkdir "$tmp/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$M" >"$tmp/bin/maildiag"
chmod 755 "$tmp/bin/maildiag"

# strip_field FILE: FILE without the X-Maildiag field (and its continuation lines) of the top
# header block.
strip_field() {
    awk 'done { print; next }
         skip && /^[ \t]/ { next }
         skip { done = 1; print; next }
         /^$/ { done = 1; print; next }
         /^X-Maildiag:/ { skip = 1; next }
         { print }' "$1"
}

# A bounce whose only recipient has a full mailbox: bounce-postfix-dsn.eml without bob.
sed -e '/^<bob@example.net>:/,/^$/d' -e '/^Final-Recipient: rfc822; bob@/,/^$/d' \
    "$src/samples/bounce-postfix-dsn.eml" >"$tmp/mailbox-full.eml"
# Not mail at all: maildiag cannot analyse it and must still pass it through.
printf 'this is not a mail message\n\001\002 binary junk\n' >"$tmp/not-mail.eml"

# case NAME INPUT FOLDER : delivers From_ line + INPUT and checks it landed in FOLDER.
case_() {
    name=$1 input=$2 folder=$3
    d="$tmp/$name"
    mkdir -p "$d/mail"
    from="From MAILER-DAEMON Mon Nov 23 09:00:00 2026"
    { echo "$from"; cat "$input"; } >"$d/in"
    cat >"$d/rc" <<EOF
PATH=$tmp/bin:/usr/local/bin:/usr/bin:/bin
MAILDIR=$d/mail
DEFAULT=$d/mail/inbox
LOGFILE=$d/log
INCLUDERC=$src/samples/procmailrc
EOF
    procmail -m "$d/rc" <"$d/in" >"$d/out" 2>&1
    st=$?
    if [ "$st" -eq 0 ]; then ok "$name: procmail exit 0"; else not_ok "$name: procmail exit $st" "$d/out"; fi

    got="$d/mail/$folder"
    if [ -f "$got" ]; then ok "$name: filed into $folder"; else
        not_ok "$name: not in $folder; folders: $(cd "$d/mail" && echo *)" "$d/log"
        return
    fi
    others=""
    for f in "$d/mail"/*; do
        case ${f##*/} in "$folder" | *.lock) ;; *) others="$others ${f##*/}" ;; esac
    done
    if [ -z "$others" ]; then ok "$name: no other folder"; else not_ok "$name: also in $others"; fi
    if grep -q "^  Folder: \\(.*/\\)\\{0,1\\}${folder}[[:space:]]" "$d/log"; then ok "$name: log names $folder"; else
        not_ok "$name: log does not name $folder" "$d/log"; fi

    if [ "$(head -n 1 "$got")" = "$from" ]; then ok "$name: From_ line first"; else
        not_ok "$name: first line is not the From_ line: $(head -n 1 "$got" | cut -c1-60)"; fi
    if sed -n 2p "$got" | grep -q '^X-Maildiag: '; then ok "$name: X-Maildiag right after From_"; else
        not_ok "$name: line 2 is not X-Maildiag: $(sed -n 2p "$got" | cut -c1-60)"; fi
    c=$(grep -c '^X-Maildiag:' "$got")
    if [ "$c" -eq 1 ]; then ok "$name: one X-Maildiag field"; else not_ok "$name: $c X-Maildiag fields"; fi

    # procmail ends each message in an mbox with an empty line.
    { cat "$d/in"; echo; } >"$d/want"
    strip_field "$got" >"$d/stripped"
    if cmp -s "$d/want" "$d/stripped"; then ok "$name: stored message minus the field is the input"; else
        cmp "$d/want" "$d/stripped" >"$d/cmp" 2>&1
        not_ok "$name: stored message differs from the input" "$d/cmp"
    fi
}

case_ bounce-postfix-dsn "$src/samples/bounce-postfix-dsn.eml" unknown-users
case_ bounce-exim "$src/samples/bounce-exim.eml" unknown-users
case_ mailbox-full "$tmp/mailbox-full.eml" mailbox-full
case_ spam-spamassassin "$src/samples/spam-spamassassin.eml" spam
case_ plain-postfix "$src/samples/plain-postfix.eml" inbox
case_ not-mail "$tmp/not-mail.eml" inbox

echo "1..$n"
[ "$failed" -eq 0 ]
