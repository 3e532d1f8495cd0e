"""The build's runtime: forked processes and pools, scratch storage, memory and stage clocks.

Stages ask for work in parallel through `Forked`, `ForkedPool` and `forked_map`; the rows between
stages live in a `Scratch` folder. A forked process inherits what it needs as the arguments of its
start (nothing is serialised for it, no module global carries it) and hands back only its results.
Rule code never sees any of this.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
WARMED_UP = ("frictionless", "pandera.pandas", "duckdb", "pyarrow.csv", "pyarrow.parquet")  # validation, publish, gate


def can_fork() -> bool:
    """Whether this platform forks processes (else Forked and the pools run here, in turn)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def in_child() -> bool:
    """Whether this process was started by another (by Forked or a pool): it ends once its result is
    handed back, so nothing it holds need be freed before."""
    import multiprocessing

    return multiprocessing.parent_process() is not None


def forked_event():
    """An event a forked child can set and this process wait for, or None where nothing is forked."""
    import multiprocessing

    return multiprocessing.get_context("fork").Event() if can_fork() else None


class ChildFailed(RuntimeError):
    """A forked process ended without handing back its result (killed, or out of memory)."""


@dataclass
class HeldUntilExit:
    """What a forked child hands back (`result`), and what it holds until it ends (`held`: millions of
    small objects, say) rather than spending seconds freeing them one by one after handing back."""

    result: object
    held: object


class Forked:
    """fn(*args) started in a forked child process, which inherits the arguments (nothing is copied)
    and hands back only the result (`result()` waits for it); where processes cannot be forked, or
    with `fork=False`, run here and now."""

    def __init__(self, fn: Callable, *args, fork: bool = True):
        self.future: Future = Future()
        self.process = None
        if not fork or not can_fork():
            try:
                self.future.set_result(_handed_back(fn(*args)))
            except Exception as err:  # noqa: BLE001 - handed over as it would come from the child
                self.future.set_exception(err)
            return
        import multiprocessing

        context = multiprocessing.get_context("fork")
        reader, writer = context.Pipe(duplex=False)
        self.process = context.Process(target=_hand_back, args=(functools.partial(fn, *args), writer, os.getpid()))
        self.process.start()
        writer.close()  # the child's alone now: its end of the pipe closes when it ends
        # received as soon as it is sent, as a pool's results are: the child need not wait for result()
        threading.Thread(target=self._receive, args=(reader,), name="forked-result", daemon=True).start()

    def _receive(self, reader) -> None:
        try:
            ok, value = reader.recv()
        except EOFError:
            ok, value = False, None
        finally:
            reader.close()
        self.process.join()
        if value is None and not ok:
            value = ChildFailed(f"a forked process ended with exit code {self.process.exitcode} before handing back its result")
        (self.future.set_result if ok else self.future.set_exception)(value)

    def result(self):
        """What fn returned (or the exception it raised, raised here)."""
        return self.future.result()

    def done(self) -> bool:
        """Whether the result is there (or the child has failed)."""
        return self.future.done()

    def close(self) -> None:
        """Wait for the child to end."""
        if self.process is not None:
            self.future.exception()  # the receiving thread joins the process before it sets this

    def stop(self) -> None:
        """End the child now if it is still running (the build is failing or interrupted); its own
        children end with it."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()


def _hand_back(call: Callable, writer, parent: int) -> None:
    """In a forked child: call, and send (succeeded, result or exception) back through the pipe."""
    as_child(parent)
    held = None
    try:
        value = call()
        held = value if isinstance(value, HeldUntilExit) else None
        out = (True, _handed_back(value))
    except BaseException as err:  # noqa: BLE001 - raised again in the parent
        out = (False, err)
    _send(writer, out)
    writer.close()
    if held is not None:  # end now, with what it holds: every child of its own has been joined by now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _handed_back(value):
    return value.result if isinstance(value, HeldUntilExit) else value


def _send(writer, out: tuple) -> None:
    try:
        writer.send(out)
    except Exception as err:  # noqa: BLE001 - a result or exception that cannot be serialised
        writer.send(out[:-2] + (False, ChildFailed(f"{type(out[-1]).__name__} could not be handed back: {err}")))


class ForkedPool:
    """fn(item) for each item, in up to `workers` forked processes that inherit fn and the items
    (a closure, a bound method, a list of sources: nothing is serialised for them but an index);
    iterating yields the results in the items' order as they come. Here, in turn, with one worker,
    one item, or where processes cannot be forked. Leaving the `with` block stops what is still running."""

    def __init__(self, fn: Callable, items: Iterable, workers: int):
        self.fn, self.items = fn, list(items)
        self.processes: list = []
        self.readers: list = []
        count = min(workers, len(self.items))
        if count < 2 or not can_fork():
            return
        import multiprocessing

        context = multiprocessing.get_context("fork")
        taken = context.Value("q", 0)  # the next item's index, shared by the workers
        for _ in range(count):  # every worker forked now, each with a pipe of its own for its results
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_serve, args=(fn, self.items, taken, writer, os.getpid()), daemon=True)
            process.start()
            writer.close()
            self.processes.append(process)
            self.readers.append(reader)

    def __enter__(self) -> ForkedPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator:
        if not self.processes:
            yield from (self.fn(item) for item in self.items)
            return
        arrived: dict[int, tuple] = {}
        for i in range(len(self.items)):
            while i not in arrived:
                self._receive(arrived)
            ok, value = arrived.pop(i)
            if not ok:
                raise value
            yield value

    def _receive(self, arrived: dict) -> None:
        """Wait for results (or a worker's end) and file them by item index."""
        from multiprocessing.connection import wait

        if not self.readers:
            raise ChildFailed("every worker of a pool ended before the last result came")
        for reader in wait(self.readers):
            try:
                i, ok, value = reader.recv()
            except EOFError:  # this worker has ended: normally once there is nothing left to take
                process = self.processes[self.readers.index(reader)]
                process.join()
                if process.exitcode != 0:
                    raise ChildFailed(f"a pool's worker ended with exit code {process.exitcode}") from None
                self.processes.remove(process)
                self.readers.remove(reader)
                reader.close()
                continue
            arrived[i] = (ok, value)

    def close(self) -> None:
        """Stop the workers still running and wait for every one to end."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()
        for reader in self.readers:
            reader.close()
        self.processes, self.readers = [], []


def _serve(fn: Callable, items: list, taken, writer, parent: int) -> None:
    """A pool's worker: take the next item's index until none is left, send (index, succeeded, result)."""
    as_child(parent)
    while True:
        with taken.get_lock():
            i = taken.value
            taken.value += 1
        if i >= len(items):
            break
        try:
            out = (i, True, fn(items[i]))
        except BaseException as err:  # noqa: BLE001 - raised again in the parent, in the items' order
            out = (i, False, err)
        _send(writer, out)
    writer.close()


def forked_map(fn: Callable, items: Iterable, workers: int) -> list:
    """[fn(item) for item in items], in `workers` forked processes that inherit fn (a bound method, say:
    only the results are copied); here, in turn, with one worker or where processes cannot be forked."""
    with ForkedPool(fn, items, workers) as pool:
        return list(pool)


def release_memory() -> None:
    """Hand the heap pages freed by the last step back to the OS (glibc keeps them otherwise, and
    the many small Arrow chunks and Python objects a step frees would count toward the next peak)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the C library already loaded in this process
    except (OSError, AttributeError):
        pass  # not glibc: nothing to hand back this way


@contextlib.contextmanager
def no_cycle_collection(resume: bool = True):
    """Pause Python's cyclic garbage collector while a step makes millions of long-lived objects that
    form no cycles (mentions, records): it would scan them again and again as they pile up. Processes
    forked meanwhile inherit the pause; the collector runs again afterwards, unless `resume` is false
    (in a process about to end: resuming, it would scan every object made meanwhile)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and resume:
            gc.enable()


def set_up_arrow() -> None:
    """One allocator for Arrow and Python (what one frees, the other reuses), and pyarrow's import of
    pandas on its first conversion done once, here, before any process is forked, rather than in each."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    pa.array([""])


def warm_up() -> None:
    """Import what validation, publishing and the frictionless gate use, and have frictionless read
    the package's descriptor once: the processes forked for them later inherit it instead of each
    doing it again."""
    import importlib

    from pipeline.publish import root_datapackage

    for name in WARMED_UP:
        importlib.import_module(name)
    importlib.import_module("frictionless").Package(root_datapackage())


class Scratch(Mapping):
    """A scratch folder beside the output for the rows between stages: the sources' own rows as
    parts (`parts/`), and each table once conformed, as Arrow IPC files mapped into memory whenever a
    stage asks for one (validation and publishing look at one or two tables, or a few columns, at a time)."""

    def __init__(self, out_dir: Path):
        from pipeline.outdir import place_of

        self.folder = place_of(out_dir).sibling("work", os.getpid())  # (what killed builds left, the next one's claim clears)
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)

    @property
    def parts(self) -> Path:
        """Where the sources' own rows are kept, a part per run of sources, until every table is conformed."""
        return self.folder / "parts"

    def put(self, name: str, table) -> None:
        from pipeline.source_rows import write_arrow

        write_arrow(self.folder / f"{name}.arrow", table)

    def __getitem__(self, name: str):
        return self.columns(name)

    def columns(self, name: str, columns: list[str] | None = None):
        """Table `name`, or only some of its columns."""
        from pipeline.source_rows import read_arrow

        if not (self.folder / f"{name}.arrow").is_file():
            raise KeyError(name)
        return read_arrow(self.folder / f"{name}.arrow", columns, copy=False)  # read only: mapped, never copied

    def __contains__(self, name) -> bool:  # (Mapping's would read the table)
        return (self.folder / f"{name}.arrow").is_file()

    def __iter__(self):  # the tables put so far (perhaps by another process), in schema order
        from pipeline.schemas import load_tables

        return (name for name in load_tables() if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def drop_parts(self) -> None:
        """Free the parts' disk (every row is in the conformed tables by now)."""
        shutil.rmtree(self.parts, ignore_errors=True)

    def remove(self) -> None:
        """Delete the scratch folder (after publishing, or when the build failed)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def as_child(parent: int) -> None:
    """First thing in a forked process: it ends (SIGKILL, from the kernel) when its parent does, however
    the parent ends, and leaves Ctrl-C and SIGTERM to the parent (which stops it) rather than raising in
    it; where the parent has ended already, it ends now."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the pools' own teardown stops the workers
    if os.getppid() != parent:
        os._exit(1)


class Terminated(Exception):
    """SIGTERM arrived: raised where the main thread is, so the build's cleanup runs."""


SIGNALLED: list[int] = []  # the stop signals this process has received, in order
PUBLISHED: list[Path] = []  # the folder the running build has published (a stop after it says so); build() empties it


def handle_stop_signals() -> None:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM raises Terminated, as usual, and each is also
    remembered: a library may swallow the exception (DuckDB turns it into "Query interrupted", or
    drops it when its query ends first), and `stop_if_signalled` raises it again at the next stage."""
    import signal

    def stop(signum, frame) -> None:
        SIGNALLED.append(signum)
        stop_if_signalled()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def signalled_stop() -> BaseException | None:
    """The exception the first stop signal that arrived stands for (KeyboardInterrupt or Terminated), if any."""
    import signal

    if not SIGNALLED:
        return None
    return KeyboardInterrupt() if SIGNALLED[0] == signal.SIGINT else Terminated()


def stop_if_signalled() -> None:
    """Raise the stop a signal asked for, if one has arrived."""
    stop = signalled_stop()
    if stop is not None:
        raise stop


def ticker(progress, label: str, total: int) -> Callable[[], None]:
    """A function to call once per item done of `total`: it moves the bar named `label` of a `progress`
    that draws bars (the CLI's, on a terminal: `progress.bar(label, done, total)`), else does nothing."""
    bar = getattr(progress, "bar", None)
    if bar is None or total <= 0:
        return no_tick
    done = [0]

    def tick() -> None:
        done[0] += 1
        bar(label, done[0], total)

    return tick


def no_tick() -> None:
    pass


class Clock:
    """Times each stage into `seconds` and reports it through `progress(stage, message)`."""

    def __init__(self, seconds: dict[str, float], progress: Callable[[str, str], None] | None):
        self.seconds = seconds
        self.progress = progress

    @contextlib.contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        said: list[str] = []
        yield said.append
        stop_if_signalled()  # one a library swallowed during the stage
        # a stage may come in pieces (resolve: in the child, then conform here): their times add up
        self.seconds[stage] = round(self.seconds.get(stage, 0) + time.perf_counter() - start, 3)
        self.say(stage, f"{'; '.join(said)} ({self.seconds[stage]:.1f} s)")

    def say(self, stage: str, message: str) -> None:
        if self.progress:
            self.progress(stage, message)
