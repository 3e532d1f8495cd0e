"""The runtime's processes: results in order, a child's exception raised here, a killed child reported."""

import os
import signal

import pytest

from pipeline.runtime import ChildFailed, Forked, HeldUntilExit, forked_map

INHERITED = list(range(50))


def _fails_at_five(i):
    if i == 5:
        raise ValueError("five")
    return i


def _killed_at_three(i):
    if i == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return i


@pytest.mark.parametrize("workers", [1, 3])
def test_a_pool_gives_results_in_order_from_what_its_workers_inherit(workers):
    values = list(INHERITED)  # a closure over a local: nothing travels but indices and results
    assert forked_map(lambda i: values[i] * 2, range(10), workers) == [i * 2 for i in range(10)]


@pytest.mark.parametrize("workers", [1, 3])
def test_a_workers_exception_is_raised_here(workers):
    with pytest.raises(ValueError, match="five"):
        forked_map(_fails_at_five, range(10), workers)


def test_a_killed_worker_fails_the_pool():
    with pytest.raises(ChildFailed, match="exit code -9"):
        forked_map(_killed_at_three, range(10), 2)


def test_a_forked_child_hands_back_its_result_or_its_exception():
    assert Forked(sum, INHERITED).result() == sum(INHERITED)
    assert Forked(lambda: HeldUntilExit("result", list(range(1000)))).result() == "result"
    with pytest.raises(ZeroDivisionError):
        Forked(lambda: 1 / 0).result()
    with pytest.raises(ChildFailed, match="exit code -9"):
        Forked(lambda: os.kill(os.getpid(), signal.SIGKILL)).result()
