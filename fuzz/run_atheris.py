"""Coverage-guided fuzzing with atheris, for long local runs (CI runs the hypothesis suite instead).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/run_atheris.py detector -max_total_time=600 fuzz/corpus/detector
    .venv/bin/python fuzz/run_atheris.py config -atheris_runs=200000

Targets: detector, decoders, diff, config (see fuzz/fuzz_targets.py). A crash writes crash-<sha> in
the current folder; replay it with `.venv/bin/python fuzz/run_atheris.py TARGET crash-<sha>`.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    import atheris

    if len(sys.argv) < 2 or sys.argv[1] not in ("detector", "decoders", "diff", "config"):
        sys.exit("usage: run_atheris.py {detector,decoders,diff,config} [libFuzzer options] [corpus dirs]")
    target_name = sys.argv.pop(1)
    with atheris.instrument_imports():
        from fuzz.fuzz_targets import TARGETS
    target = TARGETS[target_name]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
