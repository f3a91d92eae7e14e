"""Data-parallel training across processes with PyTorch's DistributedDataParallel.

Launch the same script once per process with ``torchrun``; it sets ``RANK`` (this
process, 0..WORLD_SIZE-1), ``LOCAL_RANK`` (its index on this machine, which picks the GPU),
``WORLD_SIZE`` and the address of a rendezvous. :func:`setup` reads them, joins the process
group (the "gloo" backend on CPUs, "nccl" between NVIDIA GPUs) and picks the device;
:func:`hepcourse.train.fit` then

* wraps the model in :class:`~torch.nn.parallel.DistributedDataParallel` (every process
  holds a full replica; after each backward pass the gradients are averaged with an
  all-reduce, so all replicas take the same optimiser step),
* cuts every global batch of the epoch's permutation into ``WORLD_SIZE`` shards, one per
  process, so the processes together see exactly the batches one process would,
* sums losses over the processes, and lets only rank 0 print and write files.

    torchrun --standalone --nproc_per_node=2 -m hepcourse.train --epochs 3

Without torchrun (``WORLD_SIZE`` unset or 1) everything here is a no-op.
"""
from __future__ import annotations

import atexit
import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .. import validate
from .devices import device as choose_device

_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE")


def launched_by_torchrun() -> bool:
    """True when this process was started by torchrun (or srun/mpirun exporting the same
    variables) as one of several: RANK, LOCAL_RANK and WORLD_SIZE set, WORLD_SIZE > 1."""
    if not all(name in os.environ for name in _ENV):
        return False
    return int(os.environ["WORLD_SIZE"]) > 1


@dataclass
class Context:
    """Where this process stands: its rank, the number of processes, its device."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    backend: str | None = None
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        """True when several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the process that prints and writes files."""
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def all_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over all processes, in place (returned for convenience)."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def all_max(self, tensor: torch.Tensor) -> torch.Tensor:
        """Maximum of ``tensor`` over all processes, in place."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return tensor

    def gather(self, obj) -> list:
        """``[obj of rank 0, obj of rank 1, ...]`` on every process (picklable objects)."""
        if not self.enabled:
            return [obj]
        out = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def shard(self, tensor: torch.Tensor) -> torch.Tensor:
        """This process's share of the rows of ``tensor``: contiguous, sizes differing by at
        most one, all shards together exactly the rows of ``tensor``."""
        if not self.enabled:
            return tensor
        return tensor.tensor_split(self.world_size)[self.rank]

    def close(self) -> None:
        """Leave the process group if :func:`setup` created it."""
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def backend_for(dev: torch.device) -> str:
    """"nccl" for CUDA devices (GPU-to-GPU over NVLink/InfiniBand), "gloo" otherwise."""
    return "nccl" if dev.type == "cuda" else "gloo"


def setup(device="auto", distributed="auto", timeout_s: float = 600.0) -> Context:
    """Join the process group when launched by torchrun, and choose this process's device.

    device: as for :func:`hepcourse.train.devices`; with several processes "auto" and "cuda"
        mean ``cuda:LOCAL_RANK`` (one GPU per process).
    distributed: "auto" (data-parallel when torchrun started several processes or a process
        group already exists), False (each process trains alone) or True (require torchrun).
    timeout_s: how long a collective waits for the other processes before failing.

    A process group that already exists (``torch.distributed.init_process_group`` called by
    you) is used as it is. One created here stays open for later calls (a script may call
    ``fit`` several times: creating a gloo group again after destroying it can hang) and is
    destroyed by :meth:`Context.close` or, at the latest, when the process exits.
    """
    if not (distributed == "auto" or isinstance(distributed, bool)):
        raise ValueError(f"distributed={distributed!r}: use 'auto', True or False")
    timeout_s = validate.positive(timeout_s, "timeout_s")
    existing = dist.is_available() and dist.is_initialized()
    wanted = distributed is not False and (existing or launched_by_torchrun())
    if distributed is True and not wanted:
        raise ValueError("distributed=True but this process was not started by torchrun "
                         "(RANK, LOCAL_RANK and WORLD_SIZE > 1 are not set)")
    if not wanted:
        return Context(device=choose_device(device))
    if existing:
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    dev = choose_device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", local_rank % max(1, torch.cuda.device_count()))
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if existing:
        return Context(rank, local_rank, world, dev, dist.get_backend(), owns_group=False)
    backend = backend_for(dev)
    kwargs = {"backend": backend, "timeout": datetime.timedelta(seconds=timeout_s)}
    if dev.type == "cuda":
        kwargs["device_id"] = dev
    dist.init_process_group(**kwargs)
    atexit.register(_destroy_at_exit)
    return Context(rank, local_rank, world, dev, backend, owns_group=True)


def _destroy_at_exit() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
