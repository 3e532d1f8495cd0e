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


SWALLOWED = """
import os, signal
from pipeline.runtime import handle_stop_signals, stop_if_signalled
handle_stop_signals()
try:
    os.kill(os.getpid(), signal.{name})
except BaseException:
    pass  # what a library does that catches the stop (DuckDB: "Query interrupted", or nothing at all)
try:
    stop_if_signalled()
except BaseException as stop:
    print(type(stop).__name__)
"""


@pytest.mark.parametrize("name, raised", [("SIGINT", "KeyboardInterrupt"), ("SIGTERM", "Terminated")])
def test_a_stop_signal_a_library_swallowed_still_stops_at_the_next_check(name, raised):
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", SWALLOWED.format(name=name)], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == raised, done.stderr


def test_a_stop_after_publishing_says_the_build_was_published(monkeypatch, capsys, tmp_path):
    import argparse

    from pipeline import cli

    args = argparse.Namespace(command="build", out=tmp_path)
    monkeypatch.setattr(cli, "PUBLISHED", [])
    assert cli._stopped(args, KeyboardInterrupt()) == 130
    assert "nothing was published" in capsys.readouterr().err
    monkeypatch.setattr(cli, "PUBLISHED", [tmp_path])
    assert cli._stopped(args, KeyboardInterrupt()) == 130
    assert f"after it had published {tmp_path}" in capsys.readouterr().err
