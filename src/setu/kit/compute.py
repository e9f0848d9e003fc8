"""Scale-out of numeric batches over Dask, with no domain knowledge.

A batch is split into independent blocks (of series, of items); each block is computed by a pure
engine function. `run_blocks` runs them serially, on a local Dask cluster (``workers=N``) or on an
existing Dask scheduler (``scheduler="tcp://host:port"``), and always returns results in block
order, so that a parallel run is identical to the serial one.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def split_ranges(n: int, n_blocks: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into at most ``n_blocks`` contiguous, nearly equal [start, stop) ranges."""
    if n <= 0:
        return []
    n_blocks = max(1, min(int(n_blocks), n))
    edges = [round(i * n / n_blocks) for i in range(n_blocks + 1)]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def run_blocks(
    fn: Callable[..., R],
    blocks: Sequence[Any],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    threads_per_worker: int = 1,
    **kwargs: Any,
) -> list[R]:
    """Apply ``fn(block, **kwargs)`` to every block and return the results in block order.

    - neither ``workers`` nor ``scheduler``: serial, in this process;
    - ``workers=N``: a Dask ``LocalCluster`` of N worker processes, closed afterwards;
    - ``scheduler=ADDRESS``: an existing Dask scheduler (the caller's cluster is left running).
    """
    if not workers and not scheduler:
        return [fn(b, **kwargs) for b in blocks]
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=int(workers or 1),
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        futures = client.map(lambda b: fn(b, **kwargs), list(blocks), pure=False)
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
