# The committed sample world is what the generator makes today: after a
# change to the model, `make samples` must be rerun (and committed).
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
expect_exit 0 env DUALREC_BIN="$BIN" "$here/../../scripts/make-samples.sh" \
    "$TMP/world"
(cd "$SAMPLES/world" && find . -type f | sort | xargs cksum) >"$TMP/want"
(cd "$TMP/world" && find . -type f | sort | xargs cksum) >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got" || {
    diff "$TMP/want" "$TMP/got" | head -n 10 >&2
    die "data-samples/world is stale: run 'make samples' and commit it"
}
exit 0
