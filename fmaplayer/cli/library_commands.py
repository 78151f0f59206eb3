"""`fmaplayer scan` and `fmaplayer similar`: the app's store, scanner, EmbeddingRunner and ranking, no window.

Only the standard library is imported at module level: fmaplayer.cli imports every subcommand module to
build its parser, and `fmaplayer --help` must not pay for TensorFlow or Qt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import manifest as manifest_mod

CLI_BATCH_SIZE = 16   # larger than the app's: nobody waits on a single track here


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="library database (default: the app's own)")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto",
                        help="where the model runs: auto uses a GPU when TensorFlow sees one (default auto)")
    if name == "scan":
        parser.add_argument("dirs", nargs="+", metavar="DIR", help="folders (or files) to scan")
        parser.add_argument("--no-embed", action="store_true", help="only read tags; do not analyse audio")
        parser.add_argument("--retry-failed", action="store_true",
                            help="analyse again the files the model could not analyse before")
        parser.add_argument("--ray", metavar="ADDRESS",
                            help="analyse on a Ray cluster: auto, HOST:PORT (the head's, 6379) or local "
                                 "(README: 'Analysing a huge library on a Ray cluster'; the cluster extra)")
        parser.add_argument("--ship-audio", action="store_true",
                            help="with --ray: send the files' bytes to the workers (they do not see this "
                                 "machine's folders)")
    elif name == "similar":
        parser.add_argument("file", metavar="FILE", help="an audio file, normally one of the library")
        parser.add_argument("-n", type=int, default=10, metavar="N", help="how many tracks (default 10)")
        parser.add_argument("--mode", choices=("similarity", "genre"), default="similarity",
                            help="similarity only, or matching predicted genre first (default similarity)")
        parser.add_argument("--max-per-artist", type=int, default=0, metavar="N",
                            help="variety: at most N results by one artist (default 0: no limit)")
        parser.add_argument("--max-per-album", type=int, default=0, metavar="N",
                            help="variety: at most N results from one album (default 0: no limit)")
        parser.add_argument("--json", action="store_true",
                            help="print a JSON list instead of a table: path, title, artist, genre, score "
                                 "(the similarity the list is ranked by, -1..1) and match_percent (the match "
                                 "the app shows for that score; README, Ranking)")
    else:  # pragma: no cover - cli.py maps only these two names here
        raise ValueError(name)


def run(name: str, args: argparse.Namespace, embedder_factory: Callable[[str], object] | None = None) -> int:
    """Entry point from fmaplayer.cli; tests pass `embedder_factory` to use a fake model."""
    from fmaplayer.errors import FmaplayerError

    try:
        if name == "scan":
            return scan_command(args, embedder_factory)
        return similar_command(args, embedder_factory)
    except FmaplayerError as exc:
        print(f"fmaplayer {name}: {terminal_text(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nfmaplayer {name}: interrupted; finished work is kept", file=sys.stderr)
        return 130


# --- helpers ------------------------------------------------------------------------------------
def _open_store(db: str | None):
    from fmaplayer.library.paths import default_db_path
    from fmaplayer.library.store import LibraryStore

    path = os.path.abspath(db) if db else str(default_db_path())
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:   # a file where the folder should be, no permission, read-only disk
        from fmaplayer.errors import LibraryError

        raise LibraryError(
            f"cannot use {_shown(path)} as the library database: the folder "
            f"{_shown(folder)} cannot be created ({exc.strerror or exc})") from exc
    return LibraryStore(path), path


def _bundled_manifest() -> dict | None:
    try:
        return manifest_mod.load_manifest(manifest_mod.bundled_model_path())
    except ModelLoadError:
        return None  # the embedder reports it properly when it is needed


def _make_embedder(device: str, factory: Callable[[str], object] | None):
    if factory is not None:
        return factory(device)
    from fmaplayer.ml.embedder_factory import default_embedder_factory

    return default_embedder_factory(device)


class _StderrProgress:
    """One status line on a terminal (rewritten in place), or a line every few seconds in a log."""

    def __init__(self, label: str, interval_s: float | None = None) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.interval_s = interval_s if interval_s is not None else (0.2 if self.tty else 5.0)
        self._last = 0.0
        self._pending = ""

    def __call__(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        self._pending = text
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        if self.tty:
            sys.stderr.write(f"\r\033[K{self.label}: {text}")
        else:
            sys.stderr.write(f"{self.label}: {text}\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self._pending:
            self(self._pending, force=True)
        if self.tty and self._pending:
            sys.stderr.write("\n")
            sys.stderr.flush()


def terminal_text(text: str) -> str:
    from fmaplayer.library.paths import terminal_text as safe

    return safe(text)


def _shown(path: str) -> str:
    """A path as printed: undecodable bytes replaced, control characters escaped."""
    from fmaplayer.library.paths import display_path

    return terminal_text(display_path(path))


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(os.path.join(r, "")) for r in roots)


# --- scan ---------------------------------------------------------------------------------------
def scan_command(args: argparse.Namespace, embedder_factory=None) -> int:
    from fmaplayer.library.scan_lock import ScanLock

    if getattr(args, "ray", None) or getattr(args, "ship_audio", False):
        from fmaplayer.cluster.scan import cluster_problem

        problem = cluster_problem(args)   # said before the folders are scanned, not after
        if problem:
            print(f"fmaplayer scan: {problem}", file=sys.stderr)
            return 2
    roots = [os.path.abspath(d) for d in args.dirs]
    missing = [d for d in roots if not os.path.exists(d)]
    if missing:
        print(f"fmaplayer scan: no such folder: {', '.join(map(_shown, missing))}", file=sys.stderr)
        return 2
    store, db_path = _open_store(args.db)
    lock = ScanLock(db_path)

    def say_busy(pid: int | None) -> None:
        who = f" (pid {pid})" if pid else ""
        print(f"fmaplayer scan: another scan is running on this library{who}; waiting for it to finish",
              file=sys.stderr, flush=True)

    lock.acquire(on_busy=say_busy)   # one analysing process per database: the second waits
    try:
        return _scan_locked(args, embedder_factory, store, db_path, roots)
    finally:
        lock.release()


def _scan_locked(args, embedder_factory, store, db_path: str, roots: list[str]) -> int:
    from fmaplayer.library.reachability import is_unavailable_reason
    from fmaplayer.library.scanner import Scanner
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner

    started = time.perf_counter()
    folders = [r for r in roots if os.path.isdir(r)]
    files = [r for r in roots if not os.path.isdir(r)]
    scanner = Scanner(store)
    progress = _StderrProgress("scan")
    def report(done: int, total: int, path: str) -> None:
        progress(f"{done}/{total or '?'} {_shown(path)[-60:]}")

    summaries = []
    if folders:
        summaries.append(scanner.scan(folders, progress=report))
    if files:
        summaries.append(scanner.scan_files(files, progress=report))
    progress.done()
    scan_seconds = time.perf_counter() - started

    embed_summary = None
    model_id = ""
    if not args.no_embed and getattr(args, "ray", None):   # the analysis on a Ray cluster (fmaplayer/cluster)
        from fmaplayer.cluster.scan import analyse_on_cluster

        model_id, embed_summary = analyse_on_cluster(store, args, _StderrProgress)
    elif not args.no_embed:
        embedder = _make_embedder(args.device, embedder_factory)
        model_id = embedder.model_id
        if args.retry_failed:
            store.clear_embedding_failures(model_id)
        bar = _StderrProgress(f"analyse ({embedder.device})")
        runner = EmbeddingRunner(store, embedder, CLI_BATCH_SIZE, on_progress=lambda p: bar(
            f"{p.done}/{p.total} tracks, {p.tracks_per_s:.1f} tracks/s"))
        embed_summary = runner.run()
        bar.done()
    seconds = time.perf_counter() - started

    tracks = [t for t in store.all_tracks() if _under(t.path, roots)]
    # a track on a drive that went away is kept, not unreadable: one line for all of them, not 20,000
    masked = [t for t in tracks if t.error and is_unavailable_reason(t.error)]
    unreadable = [(t.path, t.error) for t in tracks if t.error and not is_unavailable_reason(t.error)]
    failures = {}
    if model_id:
        by_id = {t.id: t.path for t in tracks}
        failures = {by_id[i]: r for i, r in store.embedding_failures(model_id).items() if i in by_id}
        for i in embed_summary.transient:   # not stored (retried next time), but said now
            if i in by_id:
                failures[by_id[i]] = f"{embed_summary.failed[i][1]} (tried again next scan)"
    embedded_total = 0
    if model_id:
        ids, _ = store.load_embeddings(model_id)
        # of the readable tracks: an unreadable one (permission denied) keeps its analysis but is not counted
        readable = {t.id for t in tracks if not t.error or is_unavailable_reason(t.error)}
        embedded_total = sum(1 for i in ids.tolist() if i in readable)

    out = sys.stdout
    added = sum(s.added for s in summaries)
    updated = sum(s.updated for s in summaries)
    removed = sum(s.removed for s in summaries)
    print(f"library: {_shown(db_path)}", file=out)
    print(f"tracks: {len(tracks)} (added {added}, updated {updated}, removed {removed}, "
          f"scan {scan_seconds:.1f} s)", file=out)
    again = sum(getattr(s, "available_again", 0) for s in summaries)
    if masked or again:
        said = [f"{len(masked)} kept with their analysis (folder not reachable: drive unplugged or not "
                "mounted?)"] if masked else []
        said += [f"available again: {again}"] if again else []
        print(f"unavailable: {'; '.join(said)}" if masked else said[0], file=out)
    if embed_summary is not None:
        print(f"embedded: {embedded_total} of {len(tracks) - len(unreadable)} readable "
              f"({embed_summary.embedded} this run, model {model_id})", file=out)
    else:
        print("embedded: skipped (--no-embed)", file=out)
    print(f"unreadable: {len(unreadable) + len(failures)}", file=out)
    for path, reason in sorted(unreadable) + sorted(failures.items()):
        print(f"  {_shown(path)}: {terminal_text(reason)}", file=out)
    for summary in summaries:
        for error in summary.folder_errors:
            print(f"  folder skipped: {terminal_text(error)}", file=out)
    print(f"seconds: {seconds:.1f}", file=out)
    if embed_summary is not None:
        processed = embed_summary.embedded + len(embed_summary.failed)
        rate = processed / embed_summary.seconds if embed_summary.seconds > 0 else 0.0
        print(f"tracks/s: {rate:.2f} (analysis of {processed} tracks in {embed_summary.seconds:.1f} s)",
              file=out)
        print(f"device: {embed_summary.device}", file=out)
    return 0


# --- similar ------------------------------------------------------------------------------------
def similar_command(args: argparse.Namespace, embedder_factory=None) -> int:
    from fmaplayer.errors import AudioDecodeError
    from fmaplayer.library.paths import display_path
    from fmaplayer.library.regular_file import file_problem
    from fmaplayer.recommend import calibration, hybrid
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner, openable_names
    from fmaplayer.recommend.index import SimilarityIndex
    from fmaplayer.recommend.ranking import RankingMode, Variety, relevant

    if args.n < 1:
        print("fmaplayer similar: -n must be at least 1", file=sys.stderr)
        return 2
    path = os.path.abspath(args.file)
    problem = file_problem(path)   # a FIFO would block the decoder; a folder or a device is no track either
    if problem is not None:
        print(f"fmaplayer similar: {_shown(path)}: {problem}", file=sys.stderr)
        return 2
    store, _db_path = _open_store(args.db)
    track = store.track_by_path(path)
    if track is not None and track.error:
        print(f"fmaplayer similar: {_shown(path)} is unreadable: {terminal_text(track.error)}",
              file=sys.stderr)
        return 1
    # The bundled model's id and centre come from its manifest (no TensorFlow): a track already analysed
    # is answered from the database alone; the model loads only when something must be analysed.
    made: list = []

    def embedder():
        if not made:
            made.append(_make_embedder(args.device, embedder_factory))
        return made[0]

    manifest = _bundled_manifest() if embedder_factory is None else None
    model_id = manifest_mod.model_id(manifest) if manifest else embedder().model_id
    prior = calibration.model_centre(manifest or getattr(embedder(), "manifest", None))
    layout = hybrid.layout_of(manifest or getattr(embedder(), "manifest", None))
    index = SimilarityIndex(centred=True, prior_centre=prior, layout=layout)
    ids, matrix = store.load_embeddings(model_id)
    if len(ids):
        index.replace(ids, matrix)
    genres = store.predicted_genres(model_id)
    mode = RankingMode.parse(args.mode)
    variety = Variety.from_store(store, args.max_per_artist, args.max_per_album)

    def file_key(track_id):
        found = store.track(track_id)
        return None if found is None else found.size

    if track is not None:
        if track.id not in index:          # analyse it first, stored like the app would
            result = EmbeddingRunner(store, embedder()).embed_ids([track.id])
            if track.id in result.failed:
                print(f"fmaplayer similar: cannot analyse {_shown(path)}: "
                      f"{terminal_text(result.failed[track.id][1])}",
                      file=sys.stderr)
                return 1
            ids, matrix = store.load_embeddings(model_id)
            index.replace(ids, matrix)
            genres = store.predicted_genres(model_id)
        recommendations = relevant(index, [track.id], args.n, mode, genres, file_key=file_key,
                                   variety=variety)
    else:                                   # not in the library: compare without storing it
        print(f"fmaplayer similar: {_shown(path)} is not in the library; comparing it as is",
              file=sys.stderr)
        try:
            with openable_names([path]) as (name,):   # non-UTF-8 or 1024-byte paths open too
                embedding = embedder().embed(name)
        except AudioDecodeError as exc:
            print(f"fmaplayer similar: cannot analyse {_shown(path)}: {terminal_text(str(exc))}",
                  file=sys.stderr)
            return 1
        recommendations = relevant(index, [], args.n, mode, genres, file_key=file_key, variety=variety,
                                   query_vector=embedding.vector, query_genre=embedding.genre,
                                   query_key=os.path.getsize(path))
    _, total = store.embedding_counts(model_id)
    if len(index) < total:
        print(f"fmaplayer similar: note: {len(index)} of {total} tracks analysed so far "
              "(run `fmaplayer scan` to analyse the rest)", file=sys.stderr)
    tracks = {t.id: t for t in store.tracks_by_ids([r.track_id for r in recommendations])}
    rows = [(tracks[r.track_id], r) for r in recommendations if r.track_id in tracks]
    if args.json:
        print(json.dumps([{"path": display_path(t.path), "title": t.display_title, "artist": t.artist,
                           "score": round(float(r.score), 6),
                           "match_percent": round(r.percent, 1),
                           "genre": r.genre} for t, r in rows], indent=2))
        return 0
    print(f"match %: {index.percent_meaning()}", file=sys.stderr)
    for rank, (t, r) in enumerate(rows, 1):
        who = f"{terminal_text(t.artist)} — " if t.artist else ""
        percent = r.percent
        print(f"{rank:3d}. {percent:5.1f} %  {r.genre or '?':<14} {who}{terminal_text(t.display_title)}"
              f"  ({_shown(t.path)})")
    if not rows:
        print("(no analysed tracks to compare with)")
    return 0
