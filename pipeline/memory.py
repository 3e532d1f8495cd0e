"""Handing freed memory back to the operating system between the steps of a large build."""

from __future__ import annotations

import contextlib
import ctypes
import gc


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
    form no cycles (mentions, records): it would scan them again and again as they pile up (measured:
    unpickling the workers' mentions 6x slower, a 100 MB build 15 s longer). Processes forked
    meanwhile inherit the pause; the collector runs again afterwards, unless `resume` is false (in a
    process about to end: resuming, it would scan every object made meanwhile, a few times over)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and resume:
            gc.enable()
