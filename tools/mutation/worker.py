"""The pytest plugin that runs the mutants: tests are collected once, and each mutant runs in a fork.

`python -m tools.mutation` starts `pytest -p tools.mutation.worker` in a temporary copy of the repository
with a job file named in $SCRATCHGRAD_MUTATION_JOB. Then:

1. Coverage. Each test runs once, unmutated, in a forked child under a line tracer: which lines of the
   mutated files it runs, and how long it takes. Tests that fail unmutated are left out (and reported).
   Lines run while the modules are imported are noted too.
2. Mutants. Each mutant is compiled from the module's changed syntax tree; a forked child swaps the
   changed functions' code objects in (`function.__code__`, so every reference to the function sees the
   mutant, however it was imported), or the changed default value, class attribute or module constant,
   and runs the tests that reach the changed line, fastest first, stopping at the first failure (-x).
   Killed: a test failed, or the child ran past its timeout or crashed. Survived: every test passed.
   A line that no test reaches survives without running anything.
3. Anything a fork cannot swap in (code that runs only at import) is written into the temporary copy's
   file and tested in a fresh `python -m pytest -x` process; the copy's file is restored right after.

Results go, one JSON line per mutant, to the file the job names. The repository itself is never written:
the worker runs in the copy, and the forks change only their own memory.

Without $SCRATCHGRAD_MUTATION_JOB the plugin only registers the `mutation` hypothesis profile.
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

from tools.mutation.mutants import Mutant, generate

JOB = os.environ.get("SCRATCHGRAD_MUTATION_JOB")


def _register_profile() -> None:
    """The project's `dev` profile (derandomized; $SCRATCHGRAD_MUTATION_EXAMPLES examples where a test does
    not set its own count), without the example database (a failing example saved by one mutant would be
    replayed against the next) and without shrinking or explaining a failure (a mutant only needs to fail)."""
    from hypothesis import HealthCheck, Phase, settings

    examples = int(os.environ.get("SCRATCHGRAD_MUTATION_EXAMPLES", "60"))
    settings.register_profile(
        "mutation", derandomize=True, database=None, deadline=None, max_examples=examples, print_blob=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=list(HealthCheck),
    )


_register_profile()


# ---------------------------------------------------------------------------------- line tracing
class LineTracer:
    """Records which lines of the target files run (sys.settrace; only frames of those files are traced)."""

    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = targets  # real path -> path relative to the repository
        self.names: dict[str, str | None] = {}  # co_filename -> relative path, or None if not a target
        self.lines: dict[str, set[int]] = {}

    def __call__(self, frame, event, arg):  # the global trace function: called for every new frame
        filename = frame.f_code.co_filename
        name = self.names.get(filename, "")
        if name == "":
            name = self.names[filename] = self.targets.get(os.path.realpath(filename))
        if name is None:
            return None
        lines = self.lines.setdefault(name, set())

        def local(frame, event, arg):
            if event == "line":
                lines.add(frame.f_lineno)
            return local

        return local

    def start(self) -> None:
        sys.settrace(self)

    def stop(self) -> dict[str, set[int]]:
        sys.settrace(None)
        return self.lines


_job = json.loads(Path(JOB).read_text()) if JOB else None
_import_tracer = None
if _job is not None:  # trace from here (pytest loads -p plugins first) until the tests are collected
    _import_tracer = LineTracer({os.path.realpath(p): p for p in _job["targets"]})
    _import_tracer.start()


def pytest_collection_finish(session) -> None:
    if _import_tracer is not None:
        _import_tracer.stop()


def pytest_runtestloop(session):
    if _job is None:
        return None
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted("mutation: the tests could not be collected")
    Worker(session, _job, _import_tracer.lines).run()
    return True


# ---------------------------------------------------------------------------------- forks
def _in_fork(work, timeout: float) -> tuple[str, object]:
    """Run `work()` in a forked child: ("ok", its pickled result), ("timeout", None) or ("crash", None)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            _die_with_parent()
            os.close(read_end)
            data = pickle.dumps(work())
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001 - a crash of the child is reported as such
            status = 3
        os._exit(status)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    chunks = []
    os.set_blocking(read_end, False)
    try:
        while True:
            try:
                chunk = os.read(read_end, 1 << 16)
                if chunk:
                    chunks.append(chunk)
                    continue
                break  # end of file: the child closed the pipe (or exited)
            except BlockingIOError:
                pass
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                chunks.append(_read_all(read_end))
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "timeout", None
            time.sleep(0.005)
        if pid:
            os.waitpid(pid, 0)
    finally:
        os.close(read_end)
    data = b"".join(chunks)
    if not data:
        return "crash", None
    return "ok", pickle.loads(data)


def _die_with_parent() -> None:
    """In a child: be killed when the worker ends, however it ends (Linux; elsewhere the child finishes)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _run_items(items) -> bool:
    """Run pytest items in this process, in order; False as soon as one fails (-x)."""
    from _pytest.runner import runtestprotocol

    for k, item in enumerate(items):
        reports = runtestprotocol(item, log=False, nextitem=items[k + 1] if k + 1 < len(items) else None)
        if any(report.failed for report in reports):
            return False
    return True


# ---------------------------------------------------------------------------------- the worker
class Worker:
    def __init__(self, session, job: dict, import_lines: dict[str, set[int]]) -> None:
        self.session = session
        self.items = list(session.items)
        self.job = job
        self.import_lines = import_lines
        self.root = Path.cwd()
        self.out = open(job["results"], "a", buffering=1)  # noqa: SIM115 - closed in run()
        self.sources = {path: (self.root / path).read_text() for path in job["targets"]}
        self.trees = {path: ast.parse(source) for path, source in self.sources.items()}

    def emit(self, **record) -> None:
        self.out.write(json.dumps(record) + "\n")

    def run(self) -> None:
        try:
            self.measure_coverage()
            self.functions = self.live_functions()
            fallback = []
            for path, index in self.job["mutants"]:
                mutant = self.mutants(path)[index]
                status, detail = self.run_mutant(mutant)
                if status == "fallback":
                    fallback.append((mutant, detail))
                else:
                    self.report(mutant, status, detail)
            for mutant, reason in fallback:
                status, detail = self.run_in_subprocess(mutant, reason)
                self.report(mutant, status, f"{detail} (in a fresh process: {reason})")
            self.emit(kind="done")
        finally:
            self.out.close()

    def report(self, mutant: Mutant, status: str, detail: str) -> None:
        self.emit(kind="mutant", path=mutant.path, index=mutant.index, status=status, detail=detail)

    _mutant_cache: dict[str, list[Mutant]] = {}

    def mutants(self, path: str) -> list[Mutant]:
        if path not in self._mutant_cache:
            self._mutant_cache[path] = generate(self.sources[path], path)
        return self._mutant_cache[path]

    # ------------------------------------------------------------------ 1. coverage
    def measure_coverage(self) -> None:
        """Run every test twice, unmutated: traced (which lines it runs), then timed (how long it takes)."""
        targets = {os.path.realpath(self.root / p): p for p in self.job["targets"]}
        already = set(sys.modules)
        traced_runs: dict[str, dict[str, set[int]]] = {}
        imported: set[str] = set()
        failing = []
        for k, item in enumerate(self.items):
            def traced(item=item):
                tracer = LineTracer(targets)
                tracer.start()
                try:
                    passed = _run_items([item])
                finally:
                    lines = tracer.stop()
                return passed, lines, set(sys.modules) - already

            status, result = _in_fork(traced, timeout=self.job["coverage_timeout"])
            if status != "ok" or not result[0]:
                failing.append(item.nodeid)
            else:
                traced_runs[item.nodeid] = result[1]
                imported |= result[2]
            if k % 25 == 0:
                self.emit(kind="progress", phase="coverage", done=k, total=len(self.items))
        self.import_third_party(imported)
        # Timed without the tracer, after those imports: what a mutant's fork will pay for each test.
        self.coverage: list[tuple[object, float, dict[str, set[int]]]] = []
        for k, item in enumerate(i for i in self.items if i.nodeid in traced_runs):
            def timed(item=item):
                start = time.perf_counter()
                passed = _run_items([item])
                return passed, time.perf_counter() - start

            status, result = _in_fork(timed, timeout=self.job["coverage_timeout"])
            if status != "ok" or not result[0]:
                failing.append(item.nodeid)
            else:
                self.coverage.append((item, result[1], traced_runs[item.nodeid]))
            if k % 25 == 0:
                self.emit(kind="progress", phase="timing", done=k, total=len(traced_runs))
        slowest = sorted(((seconds, item.nodeid) for item, seconds, _ in self.coverage), reverse=True)[:10]
        self.emit(kind="baseline", tests=len(self.coverage), failing=failing, slowest=slowest,
                  seconds=sum(seconds for _, seconds, _ in self.coverage))

    def import_third_party(self, names: set[str]) -> None:
        """Import, once, the libraries the tests import as they run (torch, say), so no fork pays for them.

        The repository's own modules are left alone: a fork imports those as the tests would.
        """
        ours = {p.stem for p in self.root.iterdir()} | {p.stem for p in (self.root / "tests").iterdir()}
        for name in sorted(names, key=lambda n: n.count(".")):
            if name in sys.modules or name.split(".")[0] in ours:
                continue
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - a module that cannot be imported here is left to the tests
                continue

    def tests_reaching(self, path: str, first: int, last: int):
        """The tests that run a line of `path` in [first, last]: the fastest first, within the budget.

        Returns (tests, their total baseline seconds, how many tests reach the line).
        """
        found = [(seconds, item) for item, seconds, lines in self.coverage
                 if any(first <= line <= last for line in lines.get(path, ()))]
        found.sort(key=lambda pair: pair[0])
        budget, chosen, total = self.job["budget"], [], 0.0
        for seconds, item in found:
            if budget and chosen and total + seconds > budget:
                break
            chosen.append(item)
            total += seconds
        return chosen, total, len(found)

    # ------------------------------------------------------------------ 2. mutants in a fork
    def live_functions(self) -> dict[tuple[str, str, int], list[types.FunctionType]]:
        """Every function object of the target files, by (file, qualified name, first line)."""
        names = {os.path.realpath(self.root / p): p for p in self.job["targets"]}
        found: dict[tuple[str, str, int], list[types.FunctionType]] = {}
        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType):
                code = obj.__code__
                path = names.get(os.path.realpath(code.co_filename))
                if path is not None:
                    found.setdefault((path, code.co_qualname, code.co_firstlineno), []).append(obj)
        return found

    def run_mutant(self, mutant: Mutant) -> tuple[str, str]:
        """(status, detail): status killed, survived, timeout, crash, or fallback (detail says why)."""
        tree = mutant.apply(self.trees[mutant.path])
        filename = str(self.root / mutant.path)
        try:
            module_code = compile(tree, filename, "exec")
        except SyntaxError as error:  # e.g. `continue` turned into a `break` outside a loop
            return "killed", f"does not compile: {error.msg}"
        kind = mutant.definition[0] if mutant.definition else "body"
        if kind == "body":
            items, seconds, reaching = self.tests_reaching(mutant.path, mutant.line, mutant.end_line)
            if not items:
                imported = self.import_lines.get(mutant.path, set())
                if any(mutant.line <= line <= mutant.end_line for line in imported):
                    return "fallback", "the line runs only at import"
                return "survived", "no test runs this line"
            if self.job["fresh"]:
                return "fallback", "--fresh-process"
            swap = self.code_swap(mutant, module_code)
            if isinstance(swap, str):
                return "fallback", swap
        else:
            first, last = self.definition_lines(mutant)
            items, seconds, reaching = self.tests_reaching(mutant.path, first, last)
            if not items:
                return "survived", "no test runs this code"
            swap = "--fresh-process" if self.job["fresh"] else self.value_swap(mutant, tree)
            if isinstance(swap, str):
                return "fallback", swap

        def work():
            _quiet()
            swap()
            return _run_items(items)

        timeout = self.job["timeout_factor"] * seconds + self.job["timeout_extra"]
        status, passed = _in_fork(work, timeout)
        if status != "ok":
            return ("timeout" if status == "timeout" else "killed"), f"{status} after {len(items)} tests"
        if not passed:
            return "killed", "a test failed"
        if len(items) < reaching:
            return "survived", f"{len(items)} of the {reaching} tests that reach it pass (the rest: over --budget)"
        return "survived", f"the {len(items)} tests that reach it pass"

    def code_swap(self, mutant: Mutant, module_code: types.CodeType):
        """A function that puts the mutated code objects into the live functions, or why it cannot."""
        new_codes = {}
        _collect_codes(module_code, new_codes)
        swaps = []
        for qualname, first_line in mutant.scopes:
            key = (mutant.path, qualname, first_line)
            code = new_codes.get((qualname, first_line))
            if code is None:
                return f"no code object for {qualname} after the change"
            for function in self.functions.get(key, ()):
                if len(function.__code__.co_freevars) != len(code.co_freevars):
                    return f"{qualname}: the change alters its closure"
                swaps.append((function, code))
        if not swaps:
            return "no function object to change"

        def swap():
            for function, code in swaps:
                function.__code__ = code

        return swap

    def definition_lines(self, mutant: Mutant) -> tuple[int, int]:
        """The lines whose tests should see a changed default, class attribute or module constant."""
        kind = mutant.definition[0]
        node = self.trees[mutant.path]
        wanted = ast.FunctionDef if kind == "defaults" else None  # class attributes: read from anywhere
        span = (1, len(self.sources[mutant.path].splitlines()))
        for field, index in mutant.address:
            node = getattr(node, field) if index is None else getattr(node, field)[index]
            if wanted is not None and isinstance(node, wanted):
                span = (node.lineno, node.end_lineno)
        return span

    def value_swap(self, mutant: Mutant, tree: ast.Module):
        """A function that sets the mutated default, class attribute or module constant, or why it cannot."""
        module = _module_of(self.root / mutant.path)
        if module is None:
            return "module not imported"
        kind, *rest = mutant.definition
        node = tree
        for field, index in mutant.address:
            node = getattr(node, field) if index is None else getattr(node, field)[index]
            if kind == "defaults" and isinstance(node, (ast.FunctionDef, ast.Lambda)):
                arguments = node.args
            if kind in ("class", "module") and isinstance(node, (ast.Assign, ast.AnnAssign)):
                assignment = node

        def evaluate(expression: ast.expr):
            code = compile(ast.fix_missing_locations(ast.Expression(expression)), mutant.path, "eval")
            return eval(code, module.__dict__)  # noqa: S307 - our own source, mutated

        if kind == "defaults":
            qualname, first_line = rest[0], int(rest[1])
            functions = self.functions.get((mutant.path, qualname, first_line), [])
            if not functions:
                return f"no function object for {qualname}"
            defaults = tuple(evaluate(d) for d in arguments.defaults) or None
            kwdefaults = {a.arg: evaluate(d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults,
                                                             strict=True) if d is not None} or None

            def swap():
                for function in functions:
                    function.__defaults__, function.__kwdefaults__ = defaults, kwdefaults

            return swap
        if len(rest) != (2 if kind == "class" else 1):
            return "not a `name = value` definition"
        value = evaluate(assignment.value)
        owner = module
        if kind == "class":
            for part in rest[0].split("."):
                owner = getattr(owner, part, None)
            if not isinstance(owner, type):
                return f"class {rest[0]} not found"
        name = rest[-1]
        old = getattr(owner, name)

        def swap():
            setattr(owner, name, value)
            if kind == "module":  # `from module import name` copies: update them too
                for other in list(sys.modules.values()):
                    if getattr(other, name, None) is old and other is not module:
                        setattr(other, name, value)

        return swap

    # ------------------------------------------------------------------ 3. in a fresh process
    def run_in_subprocess(self, mutant: Mutant, reason: str) -> tuple[str, str]:
        """Write the mutant into the copy's file, run its tests in a new pytest process, restore the file."""
        if reason == "--fresh-process":  # the same tests the fork would run
            first, last = (mutant.line, mutant.end_line) if mutant.in_body else self.definition_lines(mutant)
            items, seconds, _ = self.tests_reaching(mutant.path, first, last)
        else:  # code that runs at import: every test that runs anything in the file
            items, seconds, _ = self.tests_reaching(mutant.path, 1, len(self.sources[mutant.path].splitlines()))
        path = self.root / mutant.path
        original = path.read_bytes()
        try:
            path.write_text(ast.unparse(mutant.apply(self.trees[mutant.path])) + "\n")
            command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p",
                       "tools.mutation.worker", "--hypothesis-profile=mutation", *[item.nodeid for item in items]]
            env = {k: v for k, v in os.environ.items() if k != "SCRATCHGRAD_MUTATION_JOB"}
            timeout = self.job["timeout_factor"] * seconds + self.job["timeout_extra"] + 30
            try:
                result = subprocess.run(command, cwd=self.root, env=env, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                return "timeout", f"after {timeout:.0f} s"
        finally:
            path.write_bytes(original)
        if result.returncode == 0:
            return "survived", f"{len(items)} tests pass"
        return "killed", f"pytest exit code {result.returncode}"


def _collect_codes(code: types.CodeType, found: dict) -> None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found[(const.co_qualname, const.co_firstlineno)] = const
            _collect_codes(const, found)


def _module_of(path: Path):
    real = os.path.realpath(path)
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and os.path.realpath(file) == real:
            return module
    return None


def _quiet() -> None:
    """In a child: send what the tests print past pytest's capture to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
