"""`fmaplayer scan DIR --ray ADDRESS [--ship-audio]`: the analysis step of the scan command, on a Ray
cluster."""

from __future__ import annotations

from collections.abc import Callable

from fmaplayer.cluster import INSTALL_HINT, ray_available
from fmaplayer.cluster.connect import ClusterError, ray_session
from fmaplayer.errors import ModelLoadError


def cluster_problem(args) -> str | None:
    """What stops `--ray` / `--ship-audio` before anything is scanned: no Ray installed, no address, an
    address nobody answers on."""
    from fmaplayer.cluster.connect import check_reachable

    if not getattr(args, "ray", None):
        return "--ship-audio goes with --ray ADDRESS"
    if not ray_available():
        return f"--ray needs Ray, which is not installed: {INSTALL_HINT}"
    if args.ray.strip().startswith("ray://"):
        from fmaplayer.cluster.runner import RAY_CLIENT_REFUSAL

        return RAY_CLIENT_REFUSAL
    try:
        check_reachable(args.ray)
    except ClusterError as exc:
        return str(exc)
    return None


def analyse_on_cluster(store, args, progress_bar: Callable[[str], object], *,
                       connect_timeout_s: float | None = None):
    """Analyse every track that needs it on the cluster `args.ray`; returns (model id, RunSummary).
    `progress_bar(label)` makes the CLI's progress line (called with text; `.done()` at the end)."""
    from fmaplayer.cluster.runner import ClusterRunner, progress_text
    from fmaplayer.ml.embedder_factory import bundled_model_id

    if not ray_available():
        raise ClusterError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}")
    model_id = bundled_model_id()
    if model_id is None:
        raise ModelLoadError("the bundled model's manifest cannot be read (models/*.json)")
    if getattr(args, "retry_failed", False):
        store.clear_embedding_failures(model_id)
    timeout = {} if connect_timeout_s is None else {"timeout_s": connect_timeout_s}
    with ray_session(args.ray, **timeout):
        bar = progress_bar(f"analyse (Ray at {args.ray})")
        runner = ClusterRunner(store, model_id, ship_audio=bool(getattr(args, "ship_audio", False)),
                               device=getattr(args, "device", "auto"),
                               on_progress=lambda p: bar(progress_text(p)))
        try:
            summary = runner.run()
        finally:
            bar.done()
    if runner.worker_runtime:
        summary.device = f"{summary.device} ({runner.worker_runtime})"
    return model_id, summary


__all__ = ["ClusterError", "analyse_on_cluster"]
