#!/usr/bin/env bash
# errors.sh — every error path of the core subcommands: the exit status is the
# mfr_status number (docs/cli.md) and stderr has one clear line naming the
# file/line, option or id at fault.
source "$MFR_FIXTURES/cli/lib.bash"
TINY="$MFR_FIXTURES/cli/tiny"
"$MFREC" train "$TINY" -o "$T/tiny.mfm" --factors 2 --epochs 5 --threads 1 --quiet

# missing files: exit 2 (MFR_E_IO), the path named
for c in import info train; do
  args=("$T/no/such/ratings.csv"); [ $c = train ] && args+=(-o "$T/x.mfm")
  expect_exit 2 "$c: missing file" "$MFREC" $c "${args[@]}" && expect_err_has "$T/no/such/ratings.csv" "$c names the missing path"
done
for c in recommend similar predict; do
  extra=(--user 1); [ $c = similar ] && extra=(1); [ $c = predict ] && extra=(--user 1 --movie 1)
  expect_exit 2 "$c: missing model" "$MFREC" $c "$T/none.mfm" "${extra[@]}" && expect_err_has "$T/none.mfm" "$c names the missing model"
done
expect_exit 2 "predict: missing input" "$MFREC" predict "$T/tiny.mfm" --input "$T/nopairs.csv" && expect_err_has "$T/nopairs.csv" "names the missing input"
expect_exit 2 "serve: missing admin token file" "$MFREC" serve "$T/tiny.mfm" --admin-token-file "$T/no-token" &&
  expect_err_has "mfrec serve: $T/no-token: No such file or directory" "serve names the missing token file"

# an error line is one write(2) of the whole line, so the lines of several
# processes on one stderr (mpirun's ranks) never interleave
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
  strace -qq -s 4096 -e trace=write -o "$T/strace" "$MFREC" info "$T/no/such/ratings.csv" 2>/dev/null || :
  [ "$(grep -c '^write(2, ' "$T/strace")" = 1 ] &&
    grep -q "^write(2, \"mfrec info: $T/no/such/ratings.csv: no such file or folder\\\\n\", " "$T/strace" &&
    ok "the error line is one write" || fail "writes to stderr: $(cat "$T/strace")"
fi

# malformed rows: skipped and reported by default, fatal with --strict
expect_exit 0 "import skips bad rows" "$MFREC" import "$TINY"
grep -q "ratings.csv:10: rating \"7.5\"" "$T/out" && ok "report keeps file:line messages" || fail "report messages: $(grep -A4 problems "$T/out")"
expect_exit 3 "import --strict fails on a bad row" "$MFREC" import "$TINY" --strict && expect_err_has "ratings.csv:10:" "strict error names file:line"
grep -c "^mfrec import: " "$T/err" | grep -qx 1 && ok "one error line" || fail "stderr: $(cat "$T/err")"

# unknown user: exit 6
expect_exit 6 "recommend: unknown user" "$MFREC" recommend "$T/tiny.mfm" --user 4242 && expect_err_has "4242" "names the user id"
expect_exit 6 "similar: unknown movieId" "$MFREC" similar "$T/tiny.mfm" 4242 && expect_err_has "4242" "names the movie id"
expect_exit 6 "similar: no title matches" "$MFREC" similar "$T/tiny.mfm" "Casablanca" && expect_err_has "Casablanca" "names the title"

# ambiguous title: exit 10, the matches listed with their ids
expect_exit 10 "similar: ambiguous title" "$MFREC" similar "$T/tiny.mfm" "star" --min-ratings 0
expect_err_has "1  Star Wars (1977)" "lists Star Wars with its id"
expect_err_has "2  Star Trek (1979)" "lists Star Trek with its id"
expect_err_has "matches 2 movies" "says how many"
# a title equal to the query but for the year is not ambiguous
expect_exit 0 "similar: 'Alien' means Alien (1979), not Aliens" "$MFREC" similar "$T/tiny.mfm" "alien" --min-ratings 0
head -1 "$T/out" | grep -q "Alien (1979) \[movieId 3\]" && ok "resolved to Alien (1979)" || fail "resolved to: $(head -1 "$T/out")"

# damaged model files: exit 4 (MFR_E_FORMAT)
size=$(stat -c %s "$T/tiny.mfm")
head -c $((size / 2)) "$T/tiny.mfm" >"$T/trunc.mfm"
expect_exit 4 "recommend: truncated model" "$MFREC" recommend "$T/trunc.mfm" --user 1 && expect_err_has "mfrec recommend: " "prefixed message"
expect_exit 4 "info: truncated model" "$MFREC" info "$T/trunc.mfm"
printf 'not a model at all\n' >"$T/junk.mfm"
expect_exit 4 "predict: not a model" "$MFREC" predict "$T/junk.mfm" --user 1 --movie 1

# bad option values and usage: exit 5 (MFR_E_INVALID), the option named
expect_exit 5 "train --factors abc" "$MFREC" train "$TINY" -o "$T/y.mfm" --factors abc && expect_err_has "factors" "names --factors"
expect_exit 5 "train --algo nope" "$MFREC" train "$TINY" -o "$T/y.mfm" --algo nope && expect_err_has "nope" "names the algorithm"
expect_exit 5 "train --set bogus=1" "$MFREC" train "$TINY" -o "$T/y.mfm" --set bogus=1 && expect_err_has "bogus" "names the parameter"
printf 'factors=8\nlr=fast\n' >"$T/bad.params"
expect_exit 5 "train --params with a bad value" "$MFREC" train "$TINY" -o "$T/y.mfm" --params "$T/bad.params" && expect_err_has "bad.params:2" "names params file:line"
expect_exit 5 "train without -o" "$MFREC" train "$TINY"
expect_exit 5 "recommend -n 0" "$MFREC" recommend "$T/tiny.mfm" --user 1 -n 0 && expect_err_has "-n" "names -n"
expect_exit 5 "recommend without --user" "$MFREC" recommend "$T/tiny.mfm"
expect_exit 5 "recommend --user x" "$MFREC" recommend "$T/tiny.mfm" --user x
expect_exit 5 "similar --metric foo" "$MFREC" similar "$T/tiny.mfm" 1 --metric foo && expect_err_has "--metric" "names --metric"
expect_exit 5 "unknown option" "$MFREC" recommend "$T/tiny.mfm" --user 1 --frobnicate && expect_err_has "--frobnicate" "names the option"
expect_exit 5 "option without value" "$MFREC" recommend "$T/tiny.mfm" --user && expect_err_has "needs a value" "says a value is missing"
expect_exit 5 "synth without -o" "$MFREC" synth --users 10
expect_exit 5 "synth --noise -1" "$MFREC" synth -o "$T/s" --noise -1
expect_exit 5 "import --header maybe" "$MFREC" import "$TINY" --header maybe
expect_exit 5 "import --format xml" "$MFREC" import "$TINY" --format xml
expect_exit 5 "predict: both --input and --user" "$MFREC" predict "$T/tiny.mfm" --input x --user 1
expect_exit 5 "unknown subcommand" "$MFREC" frobnicate

# malformed batch line: exit 3, input:line named, earlier lines already answered
printf 'userId,movieId\n1,2\n1;3\n5,5\n' >"$T/bad_pairs.csv"
expect_exit 3 "predict: malformed batch line" "$MFREC" predict "$T/tiny.mfm" --input "$T/bad_pairs.csv" && expect_err_has "bad_pairs.csv:3:" "names input:line"
[ "$(wc -l <"$T/out")" -eq 2 ] && ok "lines before the bad one answered" || fail "stdout: $(cat "$T/out")"
finish
