r"""Seeds as cluster jobs through submitit (SLURM, or local processes for a test).

:class:`SubmititLauncher` is what :func:`gstheory.empirical.harness.run_experiment` is given when
``gstheory run ... --launcher submitit`` is asked for. Each chunk of seeds (one seed for
most experiments, see ``Experiment.seed_chunk``) becomes one submitit job. The job runs
:func:`run_chunk_job`: it rebuilds the experiment, computes the chunk with
:func:`gstheory.empirical.harness.compute_chunk` (the same code as an inline run) and writes each
seed's ``seed-<k>.json`` atomically itself, so the files are byte for byte those of an
inline run, a job that finishes survives the death of the submitting process, and a
re-run resumes from whatever jobs finished. The submitting process waits for the jobs,
then summarises, checks the predictions and draws the figures as usual.

Grids are not split into jobs: the experiments with a hyper-parameter grid
(minority-groups) train every grid point of a seed as one stacked model from shared
initial weights and minibatches (a paired comparison), so one job is one seed there too.

``submitit`` is an optional extra (``pip install 'gstheory[cluster]'`` or
``pip install submitit``); it is imported only when a launcher is built.

Example (local processes instead of SLURM)::

    >>> launcher = SubmititLauncher(cluster="local", folder="/tmp/jobs")  # doctest: +SKIP
    >>> run_experiment("toy-dual", preset="smoke", launcher=launcher)     # doctest: +SKIP

Paper: none (run infrastructure for the paper-scale sweeps of Sec. 4).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gstheory import validation as check

#: clusters a launcher accepts: SLURM, local processes, or in-process debugging.
CLUSTERS = ("slurm", "local", "debug")
#: the optional extra that provides submitit.
EXTRA = "pip install 'gstheory[cluster]' (or: pip install submitit)"


def _submitit() -> Any:
    try:
        import submitit
    except ModuleNotFoundError:
        raise ValueError(f"--launcher submitit needs the optional extra submitit, which is "
                         f"not installed; {EXTRA}") from None
    return submitit


def run_chunk_job(name: str, preset: str, config: Any, chunk: list[int], device: str,
                  run_dir: str, fingerprint: str, threads: int | None) -> dict:
    """The body of one job: compute ``chunk`` and write its seed files.

    Returns:
        ``{"seeds": chunk, "seconds": compute time}``.
    """
    from gstheory.empirical import harness

    t0 = time.perf_counter()
    exp = harness.get(name)
    dev = (harness.resolve_device(device) if exp.needs_torch
           else harness.resolve_numpy_device(device, name))
    if exp.needs_torch:
        harness.set_threads(threads)
    docs = harness.compute_chunk(exp, name, preset, config, chunk, dev, fingerprint)
    for s, doc in docs.items():
        harness.write_json_atomic(harness.seed_path(Path(run_dir), s), doc)
    return {"seeds": list(chunk), "seconds": time.perf_counter() - t0}


class SubmititLauncher:
    """Submit each chunk of seeds as a submitit job and wait for them.

    Arguments:
        cluster: ``slurm``, ``local`` (one local process per job) or ``debug``
            (in-process, for a debugger).
        folder: where submitit keeps the jobs' logs and pickles (``None``:
            ``<results folder>/.submitit``).
        partition: SLURM partition (``--partition``).
        timeout_min: wall-clock limit of a job in minutes.
        gpus_per_job: GPUs per job (SLURM ``--gpus-per-node``).
        cpus_per_job: CPU cores per job (also the job's torch threads when ``threads``
            is ``None``).
        threads: torch threads inside a job.

    Raises:
        ValueError: an unknown cluster, a value out of range, or submitit missing.
    """

    def __init__(self, cluster: str = "slurm", folder: str | Path | None = None, *,
                 partition: str | None = None, timeout_min: int = 60,
                 gpus_per_job: int = 0, cpus_per_job: int | None = None,
                 threads: int | None = None) -> None:
        self.cluster = check.choice("cluster", cluster, CLUSTERS)
        self.folder = None if folder is None else Path(folder)
        self.partition = partition
        self.timeout_min = check.integer("timeout_min", timeout_min, minimum=1,
                                         maximum=60 * 24 * 30)
        self.gpus_per_job = check.integer("gpus_per_job", gpus_per_job, minimum=0,
                                          maximum=64)
        self.cpus_per_job = None if cpus_per_job is None else check.integer(
            "cpus_per_job", cpus_per_job, minimum=1, maximum=1024)
        self.threads = threads if threads is not None else self.cpus_per_job
        _submitit()

    def describe(self) -> dict:
        """JSON-able description (recorded in ``result.json``'s timings)."""
        return {"launcher": "submitit", "cluster": self.cluster,
                "partition": self.partition, "timeout_min": self.timeout_min,
                "gpus_per_job": self.gpus_per_job, "cpus_per_job": self.cpus_per_job}

    def executor(self, run_dir: Path) -> Any:
        """The configured ``submitit.AutoExecutor``."""
        submitit = _submitit()
        folder = self.folder or (Path(run_dir) / ".submitit")
        ex = submitit.AutoExecutor(folder=str(folder), cluster=self.cluster)
        params: dict[str, Any] = {"timeout_min": self.timeout_min,
                                  "name": f"gstheory-{Path(run_dir).parent.name}"}
        if self.gpus_per_job:
            params["gpus_per_node"] = self.gpus_per_job
        if self.cpus_per_job:
            params["cpus_per_task"] = self.cpus_per_job
        if self.partition and self.cluster == "slurm":
            params["slurm_partition"] = self.partition
        ex.update_parameters(**params)
        return ex

    def run(self, *, exp: Any, name: str, preset: str, config: Any,
            chunks: list[list[int]], device: str, run_dir: Path,
            fingerprint: str) -> list[dict]:
        """Submit one job per chunk, wait for all, return their ``{seeds, seconds}``.

        Raises:
            RuntimeError: a job failed (its error and log folder are named).
        """
        from gstheory.empirical.harness import say

        ex = self.executor(run_dir)
        with ex.batch():
            jobs = [ex.submit(run_chunk_job, name, preset, config, list(c), device,
                              str(run_dir), fingerprint, self.threads) for c in chunks]
        say(f"{name}: submitted {len(jobs)} job(s) to submitit ({self.cluster})")
        out = []
        for c, job in zip(chunks, jobs):
            try:
                out.append(job.result())
            except Exception as exc:
                msg = " ".join(str(exc).split())[-400:]
                raise RuntimeError(f"{name}: the submitit job of seed(s) {c} (id "
                                   f"{job.job_id}) failed: {msg}; logs in "
                                   f"{ex.folder}") from None
            say(f"{name}: job of seed(s) {c} done")
        return out


__all__ = ["CLUSTERS", "EXTRA", "SubmititLauncher", "run_chunk_job"]
