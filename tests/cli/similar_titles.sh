#!/usr/bin/env bash
# similar_titles.sh — `mfrec similar MODEL TITLE` through the library's title
# matcher on ml-latest-small (skips without it): a moved article and a lower-
# case title name the one exact movie ("The Matrix" -> Matrix, The (1999),
# "the godfather" -> Godfather, The (1972), not the 2-rating trilogy), a year
# picks among remakes, a typo or a shared prefix never picks silently: the
# candidates are listed best first and the exit status is 10.
source "$MFR_FIXTURES/cli/lib.bash"
D=${MFR_DATA_DIR:-}
if [ -z "$D" ] || [ ! -f "$D/ratings.csv" ]; then echo "SKIP: no MovieLens data (MFR_DATA_DIR)"; exit 0; fi
"$MFREC" train "$D" -o "$T/b.mfm" --algo baseline --quiet

expect_exit 0 "similar \"The Matrix\"" "$MFREC" similar "$T/b.mfm" "The Matrix" -n 3
head -1 "$T/out" | grep -q "Matrix, The (1999) \[movieId 2571\]" && ok "The Matrix -> Matrix, The (1999)" || fail "The Matrix -> $(head -1 "$T/out")"
expect_exit 0 "similar \"the godfather\"" "$MFREC" similar "$T/b.mfm" "the godfather" -n 3
head -1 "$T/out" | grep -q "Godfather, The (1972) \[movieId 858\]" && ok "the godfather -> Godfather, The (1972)" || fail "the godfather -> $(head -1 "$T/out")"
expect_exit 0 "similar \"hamlet 1996\"" "$MFREC" similar "$T/b.mfm" "hamlet 1996" -n 3
head -1 "$T/out" | grep -q "Hamlet (1996)" && ok "a year picks the remake" || fail "hamlet 1996 -> $(head -1 "$T/out")"

# several exact titles (remakes): listed, most-rated first
expect_exit 10 "similar \"hamlet\" is ambiguous" "$MFREC" similar "$T/b.mfm" "hamlet"
sed -n 2p "$T/err" | grep -q "Hamlet (1996)" && ok "most-rated Hamlet listed first" || fail "hamlet list: $(cat "$T/err")"
# a typo: candidates, never a silent pick
expect_exit 10 "similar \"godfathr\" (a typo) lists candidates" "$MFREC" similar "$T/b.mfm" "godfathr"
expect_err_has "is close to" "says the titles are close, not equal"
sed -n 2p "$T/err" | grep -q "858  Godfather, The (1972)" && ok "typo: The Godfather first" || fail "typo list: $(cat "$T/err")"
# a prefix shared by many
expect_exit 10 "similar \"star wars\" lists the films" "$MFREC" similar "$T/b.mfm" "star wars"
expect_err_has "260  Star Wars: Episode IV - A New Hope (1977)" "lists A New Hope with its id"
expect_exit 6 "similar: nothing like the title" "$MFREC" similar "$T/b.mfm" "qqqzzz xxyy"
finish
