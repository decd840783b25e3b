#!/usr/bin/env bash
# golden.sh — outputs compared byte for byte with files checked by hand:
#  - `mfrec synth` with a fixed seed (tests/fixtures/cli/synth_seed3/: 20
#    ratings sorted by user then movie, no repeated pair, half stars, user 4
#    capped at all 8 movies, every seventh title quoted) — guards the
#    generator's determinism across versions and platforms;
#  - the `import` report of tests/fixtures/cli/tiny (17 rows: one rating 7.5,
#    one non-numeric rating, one short row, one duplicate -> 13 kept;
#    mean 46.5/13 = 3.577; density 13/30), minus its first (path) line;
#  - `info` on the same folder.
source "$MFR_FIXTURES/cli/lib.bash"
G="$MFR_FIXTURES/cli"

"$MFREC" synth -o "$T/s" --users 5 --movies 8 --ratings 20 --rank 2 --seed 3 --tags --quiet
for f in ratings.csv movies.csv tags.csv links.csv; do
  if cmp -s "$G/synth_seed3/$f" "$T/s/$f"; then ok "synth $f"; else
    fail "synth $f differs from the golden file:"; diff "$G/synth_seed3/$f" "$T/s/$f" | head -10 >&2 || true
  fi
done

"$MFREC" import "$G/tiny" | sed 1d >"$T/imp"
if cmp -s "$G/tiny_import.expected" "$T/imp"; then ok "import report"; else
  fail "import report differs:"; diff "$G/tiny_import.expected" "$T/imp" >&2 || true
fi

"$MFREC" info "$G/tiny" | sed 1d >"$T/info"
sed -n '1,9p' "$G/tiny_import.expected" >"$T/want_info"
if cmp -s "$T/want_info" "$T/info"; then ok "info on a dataset = import's statistics"; else
  fail "info differs:"; diff "$T/want_info" "$T/info" >&2 || true
fi
finish
