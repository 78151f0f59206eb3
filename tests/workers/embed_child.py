"""Child process for the SIGKILL test: embeds with a fake embedder, hangs inside batch `block_at`.

Usage: python -m tests.workers.embed_child DB_PATH BATCH_SIZE BLOCK_AT
"""

import sys
import threading

from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from tests.recommend.fakes import FakeEmbedder, make_store


def main() -> None:
    db_path, batch_size, block_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = make_store(db_path)
    embedder = FakeEmbedder()

    def before_batch(paths):
        print(f"batch {len(embedder.calls)}", flush=True)
        if len(embedder.calls) == block_at:
            print("blocking", flush=True)
            threading.Event().wait()      # killed here, mid-batch

    embedder.before_batch = before_batch
    runner = EmbeddingRunner(store, embedder, batch_size,
                             on_committed=lambda batch: print(f"committed {len(batch.ids)}", flush=True))
    runner.run()
    print("done", flush=True)


if __name__ == "__main__":
    main()
