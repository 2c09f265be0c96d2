"""How many public XLSForms of the corpus (tests/data/xlsforms/) the product imports.

For every form pyxform accepts (the ceiling, measured in the same run), tries our importer and
prints: forms in the corpus, accepted by pyxform, imported by us (and of those, how many with
all their logic: a condition that needs what this platform cannot compute, such as pulldata(),
is left out with a warning), crashes, refusals grouped by cause (forms per cause; a form can
have several), and exports pyxform refuses.

    .venv/bin/python bench/xlsform_corpus.py            # counts and causes
    .venv/bin/python bench/xlsform_corpus.py --verbose  # also every refused form's problems

Needs pyxform (a test dependency).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.xlsform_corpus import corpus_forms, measure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    result = measure(corpus_forms())
    accepted = len(result.accepted)
    imported = len(result.imported)
    share = 100 * imported / accepted if accepted else 0.0
    print(f"forms in corpus:           {result.total}")
    print(f"accepted by pyxform:       {accepted}   (ceiling)")
    print(f"imported by survey-app:    {imported}   ({share:.1f} % of the ceiling)")
    with_logic = imported - len(result.logic_dropped)
    share_logic = 100 * with_logic / accepted if accepted else 0.0
    print(
        f"  with all their logic:    {with_logic}   ({share_logic:.1f} %;"
        f" {len(result.logic_dropped)} imported without a condition this platform cannot compute)"
    )
    print(f"  only notes (calculations/metadata, nothing to answer): {len(result.nothing_to_answer)}")
    print(f"crashes:                   {len(result.crashed)}")
    print(f"refused:                   {len(result.refused)}")
    print(f"exports pyxform refuses:   {len(result.export_refused)} of {imported}")
    for name, error in result.crashed:
        print(f"  CRASH {name}: {error}")
    for name in result.export_refused:
        print(f"  EXPORT REFUSED {name}")
    print("refusal causes (forms):")
    for text, count in result.causes.most_common():
        print(f"  {count:4d}  {text}")
    if args.verbose:
        for name in result.logic_dropped:
            print(f"LOGIC NOT IMPORTED {name}")
        for name, problems in sorted(result.refused.items()):
            print(f"REFUSED {name}")
            for problem in problems:
                print(f"    {problem}")


if __name__ == "__main__":
    main()
