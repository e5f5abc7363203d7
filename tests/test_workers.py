"""Two PyTorch notebooks at once get a share of the cores each (chapters.tools.workers)."""

import os

import pytest

from chapters.tools.workers import limit_torch_threads_per_worker, threads_per_worker


def test_each_worker_gets_an_equal_share_of_the_cores_and_at_least_one():
    assert threads_per_worker(2, 2) == 1
    assert threads_per_worker(16, 2) == 8
    assert threads_per_worker(2, 3) == 1


@pytest.fixture
def second_of_two_workers(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)


def test_a_pytorch_worker_of_two_sets_its_share_for_the_kernels_it_starts(second_of_two_workers):
    assert limit_torch_threads_per_worker() == 2
    assert os.environ["OMP_NUM_THREADS"] == "2"


@pytest.mark.parametrize(
    "variable, value",
    [("KERAS_BACKEND", "jax"), ("PYTEST_XDIST_WORKER_COUNT", "1"), ("OMP_NUM_THREADS", "3")],
)
def test_other_backends_a_single_worker_and_a_caller_s_own_setting_are_left_alone(
    second_of_two_workers, monkeypatch, variable, value
):
    monkeypatch.setenv(variable, value)
    assert limit_torch_threads_per_worker() is None
    assert os.environ.get("OMP_NUM_THREADS") == ("3" if variable == "OMP_NUM_THREADS" else None)


def test_outside_pytest_xdist_nothing_changes(second_of_two_workers, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert limit_torch_threads_per_worker() is None
    assert "OMP_NUM_THREADS" not in os.environ
