#!/bin/sh
# sieve.sh - Dovecot's sieve-test really delivers sample messages through samples/maildiag.sieve:
# the vnd.dovecot.filter extension runs maildiag --filter (through a maildiag-filter wrapper in
# sieve_filter_bin_dir), then the script files by the X-Maildiag field into Maildir++ folders.
# Checks each message lands in the expected folder with the field first and present once, and
# the stored message minus the field equal to the input byte for byte (DESIGN §7). Prints TAP;
# skips when sieve-test is not installed or the program has no --filter.
set -u
src=${MD_SOURCE_ROOT:?}
M=${MAILDIAG:?}

if ! command -v sieve-test >/dev/null 2>&1; then
    echo "1..0 # SKIP sieve-test not installed (apt-get install dovecot-sieve)"
    exit 0
fi
if ! "$M" --help 2>/dev/null | grep -q -- --filter; then
    echo "1..0 # SKIP $M has no --filter"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok NAME [LOG-FILE]
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    if [ $# -gt 1 ] && [ -f "$2" ]; then sed 's/^/# /' "$2" | head -20; fi
}

# Dovecot refuses to deliver as root: as root it delivers as nobody, who may not be able to reach
# the build tree (a clone in a private mktemp directory). The program and the rules it needs are
# copied where nobody can read them; the wrapper names both in full, since the filter runs with
# Dovecot's environment.
user_conf=""
if [ "$(id -u)" -eq 0 ]; then
    user_conf="mail_uid = nobody
mail_gid = nogroup"
fi
mkdir "$tmp/bin" "$tmp/rules"
cp "$M" "$tmp/bin/maildiag"
cp "${MD_SOURCE_ROOT:?}"/rules/*.rules "$tmp/rules/"
printf '#!/bin/sh\nMAILDIAG_RULES_DIR="%s" exec "%s" --filter\n' "$tmp/rules" "$tmp/bin/maildiag" \
    >"$tmp/bin/maildiag-filter"
chmod 755 "$tmp/bin" "$tmp/bin/maildiag" "$tmp/bin/maildiag-filter" "$tmp/rules"
chmod 644 "$tmp/rules"/*.rules
cat >"$tmp/dovecot.conf" <<EOF
$user_conf
plugin {
  sieve_plugins = sieve_extprograms
  sieve_global_extensions = +vnd.dovecot.filter
  sieve_filter_bin_dir = $tmp/bin
}
EOF

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

# case NAME INPUT FOLDER : delivers INPUT and checks it landed in FOLDER (Maildir++: "" is INBOX).
case_() {
    name=$1 input=$2 folder=$3
    d="$tmp/$name"
    mkdir -p "$d/sieve" "$d/mail"
    cp "$input" "$d/in"
    # sieve-test compiles the script to maildiag.svbin beside it, as the mail user.
    cp "$src/samples/maildiag.sieve" "$d/sieve/"
    if [ -n "$user_conf" ]; then chown -R nobody:nogroup "$d/sieve" "$d/mail"; fi
    chmod 755 "$d"
    chmod 644 "$d/in"
    sieve-test -c "$tmp/dovecot.conf" -e -l "maildir:$d/mail" "$d/sieve/maildiag.sieve" "$d/in" \
        >"$d/out" 2>&1
    st=$?
    if [ "$st" -eq 0 ]; then ok "$name: sieve-test exit 0"; else not_ok "$name: sieve-test exit $st" "$d/out"; fi
    if grep -q 'non-zero exit code' "$d/out"; then not_ok "$name: maildiag-filter failed" "$d/out"; else
        ok "$name: maildiag-filter exit 0"; fi
    if grep -q -i 'error:' "$d/out"; then not_ok "$name: sieve-test reports an error" "$d/out"; else
        ok "$name: no error reported"; fi

    if [ -z "$folder" ]; then dir="$d/mail"; label=INBOX; else dir="$d/mail/.$folder"; label=$folder; fi
    stored=$(cd "$d/mail" && find . -path '*/new/*' -type f -o -path '*/cur/*' -type f)
    count=$(printf '%s' "$stored" | grep -c .)
    got=$(find "$dir/new" -type f 2>/dev/null | head -n 1)
    if [ -n "$got" ] && [ "$count" -eq 1 ]; then ok "$name: filed into $label"; else
        not_ok "$name: not (only) in $label; stored: $(printf '%s' "$stored" | tr '\n' ' ')" "$d/out"
        return
    fi

    if head -n 1 "$got" | grep -q '^X-Maildiag: '; then ok "$name: X-Maildiag first"; else
        not_ok "$name: first line is not X-Maildiag: $(head -n 1 "$got" | cut -c1-60)"; fi
    c=$(grep -c '^X-Maildiag:' "$got")
    if [ "$c" -eq 1 ]; then ok "$name: one X-Maildiag field"; else not_ok "$name: $c X-Maildiag fields"; fi
    strip_field "$got" >"$d/stripped"
    if cmp -s "$d/in" "$d/stripped"; then ok "$name: stored message minus the field is the input"; else
        cmp "$d/in" "$d/stripped" >"$d/cmp" 2>&1
        not_ok "$name: stored message differs from the input" "$d/cmp"
    fi
}

case_ bounce-postfix-dsn "$src/samples/bounce-postfix-dsn.eml" unknown-users
case_ bounce-exim "$src/samples/bounce-exim.eml" unknown-users
case_ mailbox-full "$tmp/mailbox-full.eml" mailbox-full
case_ spam-spamassassin "$src/samples/spam-spamassassin.eml" spam
case_ plain-postfix "$src/samples/plain-postfix.eml" ""

echo "1..$n"
[ "$failed" -eq 0 ]
