# tap.sh - TAP helpers the shell tests share; sourced after they set $tmp (a scratch directory).
#   check NAME WANT_STATUS COMMAND…  runs COMMAND (sh -c), output in $tmp/out and $tmp/err,
#                                     and compares its exit status
#   expect NAME SHELL-CONDITION       a condition, usually on the last command's output files
# $n counts the tests, $failed the failures; the caller prints "1..$n" and exits on $failed.
n=0
failed=0

check() {
    name=$1 want=$2
    shift 2
    n=$((n + 1))
    sh -c "$*" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name: exit $got, want $want"
        sed 's/^/# /' "$tmp/err" | head -5
        failed=$((failed + 1))
    fi
}

expect() {
    n=$((n + 1))
    if sh -c "$2"; then echo "ok $n - $1"; else
        echo "not ok $n - $1"
        failed=$((failed + 1))
    fi
}
