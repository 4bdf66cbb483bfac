"""`python -m benchmarks [names...]`: run the benchmarks and print a table of medians and ratios.

The thread count is fixed before NumPy is imported (BLAS reads it at load time) and given to PyTorch
too, so both use the same number of cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from benchmarks import BENCHMARKS


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="BLAS / PyTorch threads (default: the number of CPUs)")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per measurement (default: per benchmark)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a 100,000-op depth chain")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--malloc-tuned", action="store_true",
                        help="rerun with glibc told to keep freed memory (MALLOC_MMAP_THRESHOLD_, "
                             "MALLOC_TRIM_THRESHOLD_), so large temporaries are not page-faulted again each step")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return args


def machine_description(threads: int, torch_version: str | None) -> str:
    import numpy as np

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "unknown BLAS"
    try:
        from threadpoolctl import threadpool_info

        libs = [f"{i['internal_api']} {i['version']} ({i['num_threads']} threads, {i.get('architecture')})"
                for i in threadpool_info() if i["user_api"] == "blas"]
        blas = ", ".join(libs) or blas
    except ImportError:
        pass
    tuned = all(os.environ.get(k) == v for k, v in MALLOC_TUNING.items())
    lines = [
        f"CPU: {cpu}, {os.cpu_count()} logical CPUs; threads used: {threads}"
        + ("; glibc malloc tuned to keep freed memory" if tuned else ""),
        f"Python {platform.python_version()}, NumPy {np.__version__} with {blas}",
        torch_version or "torch: not installed (PyTorch columns left out)",
    ]
    return "\n".join(lines)


MALLOC_TUNING = {"MALLOC_MMAP_THRESHOLD_": str(64 << 20), "MALLOC_TRIM_THRESHOLD_": str(512 << 20)}


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.malloc_tuned and any(os.environ.get(k) != v for k, v in MALLOC_TUNING.items()):
        # glibc reads these once, at start-up: start again with them (for every implementation alike).
        os.environ.update(MALLOC_TUNING)
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy loads BLAS; inherited by the subprocesses

    from benchmarks import convnet, depth, harness, mlp, mnist, moons, perop

    torch_version = None
    if not args.no_torch:
        try:
            from benchmarks import torch_reference

            torch_version = torch_reference.configure(args.threads)
        except ImportError:
            torch_version = None
    has_torch = torch_version is not None
    memory = not args.no_memory and harness.peak_tracking_supported()
    names = args.names or list(BENCHMARKS)
    quick = args.quick

    def reps(default: int, fast: int) -> int:
        return args.repeat or (fast if quick else default)

    print(machine_description(args.threads, torch_version), flush=True)
    results: list[harness.Result] = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        if name == "mlp":
            results += mlp.run(repeat=reps(21, 5), torch_available=has_torch, memory=memory)
        elif name == "perop":
            results += perop.run(repeat=reps(41, 9), torch_available=has_torch)
        elif name == "depth":
            results += depth.run(torch_available=has_torch, n_ops=100_000 if quick else depth.N_OPS)
        elif name == "moons":
            results += moons.run(repeat=reps(15, 5), torch_available=has_torch)
        elif name == "mnist":
            results += mnist.run(repeat=reps(3, 1), torch_available=has_torch)
        elif name == "convnet":
            results += convnet.run(repeat=reps(15, 5), torch_available=has_torch)
        print(f"  {name} took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print()
    print(harness.table(results, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
