"""Joining the Ray cluster the user named, failing fast and in words when it cannot be reached."""

from __future__ import annotations

import contextlib
import logging
import socket

from fmaplayer.cluster import INSTALL_HINT, ray_available
from fmaplayer.errors import FmaplayerError

CONNECT_TIMEOUT_S = 10.0
GCS_PORT, CLIENT_PORT = 6379, 10001   # `ray start --head` defaults: the cluster's address, Ray Client's


class ClusterError(FmaplayerError):
    """The cluster cannot be reached, went away or failed: what was committed stays, nothing else is marked.
    """


def probe_target(address: str) -> tuple[str, int] | None:
    """(host, port) to try before handing `address` to Ray; None for `auto` and `local`."""
    text = address.strip()
    if text in ("auto", "local", ""):
        return None
    port = GCS_PORT
    if text.startswith("ray://"):
        text, port = text[len("ray://"):], CLIENT_PORT
    text = text.split("/", 1)[0]
    if text.startswith("["):                       # [IPv6]:port
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else port
    host, sep, tail = text.rpartition(":")
    if sep and tail.isdigit():
        return host or "127.0.0.1", int(tail)
    return text, port


def check_reachable(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Ray's port at `address` answers (its GCS and Ray Client servers speak gRPC: an HTTP/2 preface gets
    their SETTINGS back), so a wrong or dead address is said within `timeout_s`; ray.init itself retries for
    minutes. Only the fact of an answer counts (a TLS cluster answers otherwise)."""
    target = probe_target(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout_s) as conn:
            conn.settimeout(timeout_s)
            conn.sendall(_HTTP2_PREFACE)
            answer = conn.recv(16)
    except TimeoutError:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: no answer within {timeout_s:g} s "
                           "(wrong address or port, or a firewall in between?)") from None
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {why} (is `ray start --head` running "
                           "there, and is its port open to this machine?)") from None
    if not answer:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: the connection was closed without an "
                           "answer (is that Ray's port?)")


# a client's HTTP/2 connection preface and an empty SETTINGS frame (RFC 9113, section 3.4)
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


@contextlib.contextmanager
def ray_session(address: str, *, timeout_s: float = CONNECT_TIMEOUT_S, num_cpus: int | None = None):
    """Ray, initialised for `address` (`local` starts a Ray of this machine's own for the run). A Ray this
    process had already joined is used as it is and left running."""
    if not ray_available():
        raise ClusterError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}")
    import ray

    if ray.is_initialized():
        yield ray
        return
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING, "configure_logging": True}
    try:
        if address.strip() == "local":   # a Ray of our own for the run: its token notice says nothing to do
            logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **quiet)
        else:
            check_reachable(address, timeout_s)
            ray.init(address=address.strip(), **quiet)
    except ClusterError:
        raise
    except (ConnectionError, RuntimeError, ValueError) as exc:
        hint = (" (no Ray runs on this machine: start one with `ray start --head`, or give --ray "
                "HEAD:6379 or local)") if address.strip() == "auto" else ""
        why = _first_line(exc)
        if exc.__cause__ is not None:   # ray.init's own words say little ("Failed to connect"): add why
            lines = [line for line in str(exc.__cause__).strip().splitlines() if line.strip()]
            why += f": {(lines[-1] if lines else type(exc.__cause__).__name__).strip()[:300]}"
        if "auth" in why.lower() and "token" in why.lower():
            hint = (" (the cluster uses token authentication: set RAY_AUTH_MODE=token here, with its token "
                    "in ~/.ray/auth_token or RAY_AUTH_TOKEN)")
        raise ClusterError(f"cannot join the Ray cluster at {address}: {why}{hint}") from None
    try:
        yield ray
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
