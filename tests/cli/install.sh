#!/bin/sh
# install.sh - maildiag as a user or a packager installs it (issue #10 item 8): a separate
# `meson setup --prefix=TMP` of this checkout, built and installed; then the installed program
# must load the INSTALLED rules, the manual pages must render without warnings, the bash
# completion must load, and a small program must build against the installed headers through
# pkg-config. A separate prefix (not DESTDIR) so that the compiled-in rules directory and the
# .pc file point where the files really are. Needs meson, ninja, a C compiler, pkg-config and
# man (man-db). Prints TAP.
set -u
src=${MD_SOURCE_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok NAME [FILE-TO-SHOW]
    n=$((n + 1))
    echo "not ok $n - $1"
    [ $# -gt 1 ] && [ -s "$2" ] && sed 's/^/# /' "$2" | head -20
    failed=$((failed + 1))
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME COMMAND… : passes when COMMAND (sh -c) exits 0; its output goes to $tmp/out.
check() {
    name=$1
    shift
    if sh -c "$*" >"$tmp/out" 2>&1; then ok "$name"; else not_ok "$name" "$tmp/out"; fi
}
finish() {
    echo "1..$n"
    [ "$failed" -eq 0 ]
    exit
}

# --- build and install ---------------------------------------------------------------------
# buildtype=plain (no optimisation) keeps this to seconds; -Dtests=false: no recursion.
if meson setup "$tmp/build" "$src" --prefix="$prefix" -Dtests=false -Dbuildtype=plain \
        >"$tmp/log" 2>&1 &&
    meson compile -C "$tmp/build" >>"$tmp/log" 2>&1 &&
    meson install -C "$tmp/build" --no-rebuild --quiet >>"$tmp/log" 2>&1; then
    ok "meson setup, compile and install into a temporary prefix"
else
    not_ok "meson setup, compile and install into a temporary prefix" "$tmp/log"
    finish
fi
# A packager's staged install puts the same files under DESTDIR.
if DESTDIR=$tmp/stage meson install -C "$tmp/build" --no-rebuild --quiet >"$tmp/log" 2>&1; then
    (cd "$prefix" && find . | sort) >"$tmp/direct"
    (cd "$tmp/stage$prefix" && find . | sort) >"$tmp/staged"
    if cmp -s "$tmp/direct" "$tmp/staged"; then ok "DESTDIR install holds the same files"; else
        diff "$tmp/direct" "$tmp/staged" >"$tmp/log"
        not_ok "DESTDIR install holds the same files" "$tmp/log"
    fi
else
    not_ok "DESTDIR install" "$tmp/log"
fi

M=$prefix/bin/maildiag
rules=$prefix/share/maildiag/rules
man1=$prefix/share/man/man1/maildiag.1
man5=$prefix/share/man/man5/maildiag-rules.5
completion=$prefix/share/bash-completion/completions/maildiag
pc=$(find "$prefix" -name maildiag.pc -path '*/pkgconfig/*' | head -1)

for f in "$M" "$rules" "$man1" "$man5" "$completion" "$pc" "$prefix/include/maildiag/maildiag.h" \
    "$prefix/include/maildiag/analysis.h"; do
    if [ -n "$f" ] && [ -e "$f" ]; then ok "installed ${f#"$prefix"/}"; else
        not_ok "installed ${f#"$prefix"/}: missing"
    fi
done
check "installed binary runs" "'$M' --version | grep -q '^maildiag [0-9]'"

# --- the installed program uses the installed rules ----------------------------------------
# From another directory, with no user rules and no MAILDIAG_RULES_DIR; -v names each directory
# loaded. (The checkout's rules/ is not made unreadable: tests running beside this one read it.)
mkdir -p "$tmp/home" "$tmp/cwd"
(cd "$tmp/cwd" && env -u MAILDIAG_RULES_DIR HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" \
    "$M" -v --check-rules >"$tmp/check.out" 2>"$tmp/check.err")
status=$?
cat "$tmp/check.out" "$tmp/check.err" >"$tmp/out"
if [ "$status" -eq 0 ]; then ok "installed --check-rules passes"; else
    not_ok "installed --check-rules passes (exit $status)" "$tmp/out"
fi
first=$(sed -n 's/^maildiag: rules from //p' "$tmp/check.err" | head -1)
if [ "$first" = "$rules" ]; then ok "-v names the installed rules directory first"; else
    echo "# first rules directory: '$first', want '$rules'"
    not_ok "-v names the installed rules directory first" "$tmp/out"
fi
if grep -qF "$src/rules" "$tmp/check.err"; then
    not_ok "the checkout's rules are not loaded" "$tmp/out"
else
    ok "the checkout's rules are not loaded"
fi
want_files=$(find "$src/rules" -maxdepth 1 -name '*.rules' | wc -l)
if grep -Eq "^[0-9]+ rules in $want_files files: OK" "$tmp/check.out"; then
    ok "all $want_files shipped rule files are installed and load"
else
    not_ok "all $want_files shipped rule files are installed and load" "$tmp/out"
fi
check "installed binary analyses a sample" \
    "cd '$tmp/cwd' && '$M' --format=json '$src/samples/greylisted.eml' | grep -q 'delay.greylisting'"

# --- manual pages --------------------------------------------------------------------------
for page in "$man1" "$man5"; do
    name=${page##*/}
    if grep -n '@[A-Z_][A-Z_]*@' "$page" >"$tmp/out"; then
        not_ok "$name: every @VARIABLE@ substituted" "$tmp/out"
    else
        ok "$name: every @VARIABLE@ substituted"
    fi
    if ! command -v man >/dev/null 2>&1; then
        skip "$name renders without warnings" "man not installed (apt-get install man-db)"
        continue
    fi
    # man writes groff's warnings to standard error; the page itself goes to /dev/null.
    MANWIDTH=80 man --warnings -l "$page" 2>"$tmp/out" >/dev/null
    if [ ! -s "$tmp/out" ]; then ok "$name renders without warnings"; else
        not_ok "$name renders without warnings" "$tmp/out"
    fi
done
check "maildiag.1 names the installed rules directory" "grep -qF '$rules' '$man1'"
# Every option of --help is in the manual page and in the completion.
"$M" --help | grep -oE -- '--[a-z][a-z-]*' | grep -v '^--help' | sort -u >"$tmp/options"
if [ -s "$tmp/options" ]; then
    while read -r opt; do
        roff=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
        grep -q -- "$roff" "$man1" || echo "$opt: not in maildiag(1)"
        grep -q -- "$opt" "$completion" || echo "$opt: not in the bash completion"
    done <"$tmp/options" >"$tmp/out"
    if [ -s "$tmp/out" ]; then not_ok "every option of --help is documented and completed" \
        "$tmp/out"; else ok "every option of --help is documented and completed"; fi
else
    not_ok "--help lists options"
fi

# --- bash completion -----------------------------------------------------------------------
if command -v bash >/dev/null 2>&1; then
    check "completion registers for maildiag" \
        "bash -c '. \"\$1\" && complete -p maildiag' sh '$completion' | grep -q '_maildiag maildiag'"
    # What TAB offers after "--format=": the words are "--format" "=" "".
    cat >"$tmp/complete.sh" <<'EOF'
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_maildiag
printf '%s\n' "${COMPREPLY[@]}"
EOF
    check "completion offers the --format values" \
        "bash '$tmp/complete.sh' '$completion' maildiag --format = '' | tr '\n' ' ' |
         grep -qx 'text json jsonl markdown headers '"
    check "completion offers options" \
        "bash '$tmp/complete.sh' '$completion' maildiag --check | grep -qx -- --check-rules"
    touch "$tmp/cwd/bounce.eml"
    check "completion offers files" \
        "cd '$tmp/cwd' && bash '$tmp/complete.sh' '$completion' maildiag bou | grep -qx bounce.eml"
else
    skip "bash completion" "bash not installed"
fi

# --- pkg-config and the library ------------------------------------------------------------
if command -v pkg-config >/dev/null 2>&1 && [ -n "$pc" ]; then
    PKG_CONFIG_PATH=${pc%/*}
    export PKG_CONFIG_PATH
    check "pkg-config --cflags --libs maildiag" "pkg-config --cflags --libs maildiag"
    check "pkg-config points into the prefix" \
        "pkg-config --cflags maildiag | grep -qF -- '-I$prefix/include' &&
         pkg-config --libs maildiag | grep -qF -- '-L$prefix/'"
    cat >"$tmp/use.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <maildiag/maildiag.h>

int
main (int argc, char **argv)
{
    MdRuleSet *rules = md_rules_new ();
    GError *error = NULL;
    if (argc < 2 || !md_rules_load_dir (rules, argv[1], FALSE, &error)) {
        fprintf (stderr, "rules: %s\n", error != NULL ? error->message : "no directory");
        return 1;
    }
    const char msg[] = "From: a@example.org\nTo: b@example.org\nSubject: hi\n"
                       "Date: Tue, 3 Nov 2026 15:00:00 +0000\n\nhello\n";
    MdOptions options = { 0 };
    options.rules = rules;
    options.source = "-";
    MdAnalysis *analysis = md_analyze_bytes (msg, strlen (msg), &options, &error);
    if (analysis == NULL) {
        fprintf (stderr, "analyse: %s\n", error->message);
        return 1;
    }
    GString *out = g_string_new (NULL);
    md_output_json (out, analysis, FALSE);
    printf ("%u rules\n%s", md_rules_count (rules), out->str);
    g_string_free (out, TRUE);
    md_analysis_free (analysis);
    md_rules_free (rules);
    return 0;
}
EOF
    libdir=$(pkg-config --variable=libdir maildiag)
    check "a program using <maildiag/maildiag.h> compiles and links" \
        "${CC:-cc} -std=gnu11 -Wall -Werror -o '$tmp/use' '$tmp/use.c' \$(pkg-config --cflags --libs maildiag)"
    check "it runs against the installed library" \
        "LD_LIBRARY_PATH='$libdir' '$tmp/use' '$rules' >'$tmp/use.out' &&
         grep -Eq '^[1-9][0-9]* rules' '$tmp/use.out' && grep -q '\"schema\":\"maildiag/1\"' '$tmp/use.out' &&
         LD_LIBRARY_PATH='$libdir' ldd '$tmp/use' | grep -qF '$libdir/libmaildiag.so'"
else
    skip "pkg-config" "pkg-config not installed or no maildiag.pc"
fi

finish
