"""Executors: run an evaluation function over chunks of points, yielding results as they finish.

    executor.map_unordered(fn, ctx, chunks) -> iterator of fn(ctx, chunk) results

* `LocalExecutor(workers)`: a process pool (the context is sent once per worker); with one worker
  it runs in this process, which is what small sweeps and tests want.
* `RayExecutor(workers, address)`: Ray tasks on a local instance (started and stopped here) or on a
  cluster (`address`, e.g. "auto").  Ray is an optional extra: `pip install gemmini-gen[ray]`.
Both call the same pure functions, so they produce the same records (only wall times differ).
At most 2 x workers chunks are in flight, so results stream back and a killed sweep loses little.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

__all__ = ["BACKENDS", "ExecutorError", "LocalExecutor", "RayExecutor", "make_executor"]

BACKENDS = ("local", "ray")
_WORKER_CONTEXT: Any = None


class ExecutorError(RuntimeError):
    """A backend that cannot start (one line)."""


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def _init_worker(ctx: Any) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx


def _run_in_worker(fn: Callable, chunk: Any) -> Any:
    return fn(_WORKER_CONTEXT, chunk)


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()

    def map_unordered(self, fn: Callable, ctx: Any, chunks: Iterable[Any]) -> Iterator[Any]:
        if self.workers == 1:
            for chunk in chunks:
                yield fn(ctx, chunk)
            return
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                 initargs=(ctx,)) as pool:
            pending = set()
            queue = iter(chunks)
            for chunk in queue:
                pending.add(pool.submit(_run_in_worker, fn, chunk))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                    chunk = next(queue, None)
                    if chunk is not None:
                        pending.add(pool.submit(_run_in_worker, fn, chunk))

    def close(self) -> None:
        pass


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("--backend ray needs Ray: pip install 'gemmini-gen[ray]'"
                                ) from None
        self._ray = ray
        self.workers = workers or default_workers()
        self._started = False
        if not ray.is_initialized():
            options = {"address": address} if address else {"num_cpus": self.workers}
            ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     **options)
            self._started = True
        self._task = ray.remote(num_cpus=1)(_ray_task)

    def map_unordered(self, fn: Callable, ctx: Any, chunks: Iterable[Any]) -> Iterator[Any]:
        ray = self._ray
        ctx_ref = ray.put(ctx)
        queue = iter(chunks)
        pending = []
        for chunk in queue:
            pending.append(self._task.remote(fn, ctx_ref, chunk))
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
            chunk = next(queue, None)
            if chunk is not None:
                pending.append(self._task.remote(fn, ctx_ref, chunk))

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def _ray_task(fn: Callable, ctx: Any, chunk: Any) -> Any:
    return fn(ctx, chunk)


def make_executor(backend: str, workers: int | None = None, address: str | None = None):
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers must be >= 1, got {workers}")
    if backend == "local":
        return LocalExecutor(workers)
    if backend == "ray":
        return RayExecutor(workers, address)
    raise ExecutorError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
