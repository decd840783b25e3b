#!/usr/bin/env bash
# docs_sync.sh — the documents made from the CLI's option tables agree with
# the binary (issue 12: docs/cli.md and every --help agree; man page and bash
# completion from the same source): scripts/gen-cli-docs --check regenerates
# docs/cli.md's option tables, man/mfrec.1 and completions/mfrec.bash from
# this mfrec and fails on any difference. Then the completion is exercised.
source "$MFR_FIXTURES/cli/lib.bash"
SRC=${MFR_SOURCE_DIR:?MFR_SOURCE_DIR must name the source tree}

if "$SRC/scripts/gen-cli-docs" --check "$MFREC" 2>"$T/diff"; then
  ok "docs/cli.md option tables, man/mfrec.1 and completions/mfrec.bash match the binary"
else
  fail "generated documents out of date: $(head -30 "$T/diff")"
fi
# every option a command's --help shows is in its docs/cli.md table
for c in $("$MFREC" help | awk '/^commands:/ {on = 1; next} on && NF == 0 {exit} on {print $1}'); do
  table=$(sed -n "/^<!-- options: $c -->\$/,/^<!-- \/options -->\$/p" "$SRC/docs/cli.md")
  missing=""
  for o in $("$MFREC" help --options "$c"); do
    [ "$o" = --help ] && continue
    grep -qF -- "$o" <<<"$table" || missing="$missing $o"
    "$MFREC" help "$c" | grep -qF -- "$o" || missing="$missing $o(help)"
  done
  [ -z "$missing" ] && ok "$c: docs table and --help list the same options" || fail "$c: missing:$missing"
done

# bash completion: subcommands, options, --algo names, training parameters
complete_line() { # words... -> the completions of the last word, sorted, one line
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mfrec; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
    _ "$SRC/completions/mfrec.bash" "$@"
}
[ "$(complete_line mfrec tr)" = "train " ] && ok "completes a subcommand" || fail "mfrec tr: $(complete_line mfrec tr)"
[ "$(complete_line mfrec train --alg)" = "--algo " ] && ok "completes an option" || fail "train --alg: $(complete_line mfrec train --alg)"
[ "$(complete_line mfrec report --algos sgd,kn)" = "sgd,knn-item sgd,knn-user " ] && ok "completes the last name of --algos A,B" || fail "--algos sgd,kn: $(complete_line mfrec report --algos sgd,kn)"
[ "$(complete_line mfrec train --algo knn)" = "knn-item knn-user " ] && ok "completes --algo names" || fail "--algo knn: $(complete_line mfrec train --algo knn)"
[ "$(complete_line mfrec eval --ease-l)" = "--ease-lambda " ] && ok "completes training parameters" || fail "eval --ease-l: $(complete_line mfrec eval --ease-l)"
[ "$(complete_line mfrec recommend --js)" = "--json " ] && ok "each command its own options" || fail "recommend --js: $(complete_line mfrec recommend --js)"
[ -z "$(complete_line mfrec recommend --ease-l | tr -d ' ')" ] && ok "no training parameters where there are none" || fail "recommend --ease-l: $(complete_line mfrec recommend --ease-l)"
[ "$(complete_line mfrec help cl)" = "cluster " ] && ok "mfrec help completes commands" || fail "help cl: $(complete_line mfrec help cl)"
grep -q '^\.SS serve$' "$SRC/man/mfrec.1" && ok "man page has a section per command" || fail "man page lacks .SS serve"
finish
