"""Handing freed memory back to the operating system between the steps of a large build."""

from __future__ import annotations

import ctypes


def release_memory() -> None:
    """Hand the heap pages freed by the last step back to the OS (glibc keeps them otherwise, and
    the many small Arrow chunks and Python objects a step frees would count toward the next peak)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the C library already loaded in this process
    except (OSError, AttributeError):
        pass  # not glibc: nothing to hand back this way
