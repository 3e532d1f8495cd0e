"""Work in forked child processes, which inherit what they need instead of having it copied."""

from __future__ import annotations

import functools

_INHERITED = None  # the callable the forked children of Forked and forked_map call


def can_fork() -> bool:
    """Whether this platform forks processes (else Forked and forked_map run here, in turn)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def in_child() -> bool:
    """Whether this process was started by another (by Forked, forked_map or a pool): it ends once
    its result is handed back, so nothing it holds need be freed before."""
    import multiprocessing

    return multiprocessing.parent_process() is not None


def forked_event():
    """An event a forked child can set and this process wait for, or None where nothing is forked."""
    import multiprocessing

    return multiprocessing.get_context("fork").Event() if can_fork() else None


class Forked:
    """fn(*args) started in a forked child process, which inherits the arguments (nothing is copied)
    and hands back only the result (`result()` waits for it); where processes cannot be forked, or
    with `fork=False`, run here and now."""

    def __init__(self, fn, *args, fork: bool = True):
        global _INHERITED
        import multiprocessing
        from concurrent.futures import Future, ProcessPoolExecutor

        self.pool = None
        if not fork or not can_fork():
            self.future = Future()
            try:
                self.future.set_result(fn(*args))
            except Exception as err:  # noqa: BLE001 - handed over as it would come from the child
                self.future.set_exception(err)
            return
        _INHERITED = functools.partial(fn, *args)
        try:  # the child is forked as the task is submitted: it has the arguments once this returns
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            self.future = self.pool.submit(_call_inherited)
        finally:
            _INHERITED = None

    def result(self):
        """What fn returned (or the exception it raised, raised here)."""
        try:
            return self.future.result()
        finally:
            self.close()

    def done(self) -> bool:
        """Whether the result is there (or the child has failed)."""
        return self.future.done()

    def close(self) -> None:
        """Wait for the child to end and release it."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def forked_map(fn, items, workers: int) -> list:
    """[fn(item) for item in items], in `workers` forked processes that inherit fn (a bound method, say:
    only the items and results are copied); here, in turn, with one worker or where processes cannot
    be forked."""
    global _INHERITED
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    items = list(items)
    if workers < 2 or len(items) < 2 or not can_fork():
        return [fn(item) for item in items]
    _INHERITED = fn
    try:  # the processes are forked as the tasks are submitted, all within this block
        with ProcessPoolExecutor(min(workers, len(items)), mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_call_inherited, items))
    finally:
        _INHERITED = None


def _call_inherited(*args):
    return _INHERITED(*args)
