"""Mutation testing of the engine core: `python -m tools.mutation` (see docs/testing.md, "Mutation testing").

Each mutant is one small change to the source (tools/mutation/mutants.py lists the operators); it is
killed when a test fails, and survives when the tests pass anyway, which points at behaviour no test
pins. The run happens in a temporary copy of the repository (the files here are never written), in
one pytest process at a time (tools/mutation/worker.py).

    python -m tools.mutation                         # the core files, the default tests
    python -m tools.mutation autograd/graph.py       # one file
    python -m tools.mutation --list                  # the mutants, without running them
    python -m tools.mutation --json report.json --min-score 90
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tools.mutation.equivalent import EQUIVALENT, equivalence_reason
from tools.mutation.mutants import Mutant, generate

ROOT = Path(__file__).resolve().parents[2]
CORE = ["autograd/graph.py", "autograd/function.py", "autograd/functions/*.py"]
# The tests that exercise the core; each mutant runs only those of them that reach its line.
TESTS = [
    "tests/test_graph.py", "tests/test_function.py", "tests/test_functions.py",
    "tests/test_engine.py", "tests/test_engine_fast_paths.py", "tests/test_textbook_graphs.py",
    "tests/test_graph_tour.py", "tests/test_custom_function.py", "tests/test_tensor.py",
    "tests/test_ops_properties.py", "tests/test_gradient_trust.py", "tests/test_differential_torch.py",
    "tests/test_gradcheck.py", "tests/test_func.py", "tests/test_compile.py", "tests/test_testing_checks.py",
    "tests/test_graph_state_machine.py", "tests/test_functions_conv.py", "tests/test_functions_normalization.py",
    "tests/test_nn_losses.py", "tests/test_nn_layers.py", "tests/test_nn_conv.py", "tests/test_nn_normalization.py",
]
KILLED = ("killed", "timeout")


def _stop(signum, frame):  # SIGTERM: leave through `finally`, which stops the worker and removes the copy
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="source files or globs to mutate (default: the engine core)")
    parser.add_argument("--tests", nargs="+", default=TESTS, help="test files to draw from (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", nargs="+", metavar="TEXT",
                        help="run only the mutants whose description (as --list prints it) contains one of these, "
                             "e.g. --only graph.py:382 '[loop]'")
    parser.add_argument("--json", type=Path, help="also write every mutant's result to this file")
    parser.add_argument("--min-score", type=float, default=0.0, help="exit 1 if the score (%%) is below this")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds of (unmutated) test time per mutant: the tests that reach a mutant run "
                             "fastest first until this is spent; 0: all of them (default %(default)s)")
    parser.add_argument("--examples", type=int, default=20,
                        help="hypothesis examples per property test that sets no count of its own (default 20)")
    parser.add_argument("--check-equivalents", action="store_true",
                        help="also run the mutants listed in tools/mutation/equivalent.py (they must survive)")
    parser.add_argument("--fresh-process", action="store_true",
                        help="run every mutant in a new pytest process instead of a fork (slow: to check the tool)")
    parser.add_argument("--timeout-factor", type=float, default=3.0,
                        help="a mutant's tests may take this many times as long as unmutated (plus 10 s)")
    args = parser.parse_args(argv)

    files = _expand(args.files or CORE)
    missing = [test for test in args.tests if not (ROOT / test.split("::")[0]).exists()]
    for test in missing:
        print(f"no such test file, left out: {test}")
    args.tests = [test for test in args.tests if test not in missing]
    mutants = [m for path in files for m in generate((ROOT / path).read_text(), path)]
    if args.only:
        mutants = [m for m in mutants if any(text in m.describe() for text in args.only)]
    if args.list:
        for mutant in mutants:
            print(mutant.describe())
        print(f"{len(mutants)} mutants in {len(files)} files")
        return 0
    to_run = [m for m in mutants if args.check_equivalents or equivalence_reason(m) is None]
    print(f"{len(mutants)} mutants in {len(files)} files ({len(mutants) - len(to_run)} listed as equivalent, "
          f"not run); tests from {len(args.tests)} files", flush=True)
    started = time.monotonic()
    results = _run(to_run, files, args)
    for mutant in mutants:
        results.setdefault((mutant.path, mutant.index), {"status": "not run", "detail": "listed as equivalent"})
    print(f"finished in {(time.monotonic() - started) / 60:.1f} min")
    score = _report(mutants, results, files, only=bool(args.only))
    if args.json:
        args.json.write_text(json.dumps([{**_public(m), **results.get((m.path, m.index), {})} for m in mutants],
                                        indent=1))
    return 0 if score >= args.min_score else 1


def _expand(patterns: list[str]) -> list[str]:
    files: list[str] = []
    for pattern in patterns:
        matches = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern)) or [pattern]
        files += [m for m in matches if m not in files]
    for file in files:
        if not (ROOT / file).is_file():
            raise SystemExit(f"python -m tools.mutation: no such file: {file}")
    return files


def _run(mutants: list[Mutant], files: list[str], args) -> dict[tuple[str, int], dict]:
    """Copy the repository, run the worker in it, and collect its results (printing progress)."""
    results: dict[tuple[str, int], dict] = {}
    with tempfile.TemporaryDirectory(prefix="scratchgrad-mutation-") as temp:
        copy = Path(temp) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
            ".git", "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache", "*.pyc", ".benchmarks"))
        job, out, log = Path(temp) / "job.json", Path(temp) / "results.jsonl", Path(temp) / "worker.log"
        job.write_text(json.dumps({
            "targets": files, "mutants": [[m.path, m.index] for m in mutants], "results": str(out),
            "timeout_factor": args.timeout_factor, "timeout_extra": 10.0, "coverage_timeout": 900.0,
            "fresh": args.fresh_process, "budget": args.budget,
        }))
        env = {**os.environ, "SCRATCHGRAD_MUTATION_JOB": str(job), "PYTHONDONTWRITEBYTECODE": "1",
               "SCRATCHGRAD_MUTATION_EXAMPLES": str(args.examples),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        env.pop("CI", None)  # the mutation profile, whatever the environment
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tools.mutation.worker",
                   "--hypothesis-profile=mutation", *args.tests]
        by_key = {(m.path, m.index): m for m in mutants}
        with open(log, "wb") as log_file:
            worker = subprocess.Popen(command, cwd=copy, env=env, stdout=log_file, stderr=subprocess.STDOUT)
            try:
                position = 0
                done = False
                while not done:
                    finished = worker.poll() is not None
                    if out.exists():
                        with open(out) as stream:
                            stream.seek(position)
                            for line in stream:
                                if not line.endswith("\n"):
                                    break
                                position += len(line)
                                done |= _progress(json.loads(line), by_key, results)
                    if finished:
                        break
                    time.sleep(0.5)
            finally:
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait()
        if not done:
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"python -m tools.mutation: the worker stopped early (exit {worker.returncode}):\n{tail}")
    return results


def _progress(record: dict, by_key: dict, results: dict) -> bool:
    kind = record["kind"]
    if kind == "progress":
        print(f"  {record['phase']}: {record['done']}/{record['total']} tests", flush=True)
    elif kind == "baseline":
        print(f"  {record['tests']} tests pass unmutated, in {record['seconds']:.0f} s; the slowest (s):", flush=True)
        for seconds, nodeid in record["slowest"]:
            print(f"    {seconds:7.2f}  {nodeid}", flush=True)
        for nodeid in record["failing"]:
            print(f"  left out, fails without any mutation: {nodeid}", flush=True)
    elif kind == "mutant":
        mutant = by_key[(record["path"], record["index"])]
        results[(mutant.path, mutant.index)] = {"status": record["status"], "detail": record["detail"]}
        print(f"  [{len(results):4}/{len(by_key)}] {record['status']:8} {mutant.describe()}", flush=True)
    return kind == "done"


def _report(mutants: list[Mutant], results: dict, files: list[str], only: bool) -> float:
    """Print the score per file and in total, the survivors and the excluded mutants; return the score."""
    rows = []
    survivors, excluded, wrongly_excluded = [], [], []
    totals = Counter()
    for path in files:
        counts = Counter()
        for mutant in (m for m in mutants if m.path == path):
            status = results[(mutant.path, mutant.index)]["status"]
            reason = equivalence_reason(mutant)
            if reason is not None:
                counts["equivalent"] += 1
                (wrongly_excluded if status in KILLED else excluded).append((mutant, reason))
                continue
            counts["mutants"] += 1
            counts[status] += 1
            if status not in KILLED:
                survivors.append((mutant, results[(mutant.path, mutant.index)]["detail"]))
        killed = counts["killed"] + counts["timeout"]
        rows.append((path, counts["mutants"], killed, counts["timeout"], counts["survived"], counts["equivalent"]))
        totals.update(counts)
    killed = totals["killed"] + totals["timeout"]
    rows.append(("total", totals["mutants"], killed, totals["timeout"], totals["survived"], totals["equivalent"]))
    header = ("file", "mutants", "killed", "(timeout)", "survived", "equivalent", "score")
    print("\n{:36} {:>8} {:>7} {:>9} {:>8} {:>10} {:>6}".format(*header))
    for path, count, kill, timeout, survived, equivalent in rows:
        score = 100.0 * kill / count if count else 100.0
        print(f"{path:36} {count:8} {kill:7} {timeout:9} {survived:8} {equivalent:10} {score:5.1f}%")
    if survivors:
        print(f"\nSurvivors ({len(survivors)}):")
        for mutant, detail in survivors:
            print(f"  {mutant.describe()}   ({detail})")
    if excluded:
        print(f"\nExcluded as equivalent ({len(excluded)}; tools/mutation/equivalent.py says why):")
        for mutant, reason in excluded:
            print(f"  {mutant.describe()}\n      {reason}")
    if wrongly_excluded:
        print("\nListed as equivalent but killed (remove them from tools/mutation/equivalent.py):")
        for mutant, _ in wrongly_excluded:
            print(f"  {mutant.describe()}")
    unused = [entry for entry in EQUIVALENT if entry.path in files and not any(
        entry.matches(m) for m in mutants)]
    if unused and not only:
        print("\nEntries of tools/mutation/equivalent.py that match no mutant any more (update or remove them):")
        for entry in unused:
            print(f"  {entry.path}: {entry.line}   {entry.change}")
    return 100.0 * killed / totals["mutants"] if totals["mutants"] else 100.0


def _public(mutant: Mutant) -> dict:
    return {"path": mutant.path, "index": mutant.index, "line": mutant.line, "operator": mutant.operator,
            "original": mutant.original, "mutated": mutant.mutated,
            "function": mutant.scopes[-1][0] if mutant.scopes else None, "equivalent": equivalence_reason(mutant)}


if __name__ == "__main__":
    sys.exit(main())
