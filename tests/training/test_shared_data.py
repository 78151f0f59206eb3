"""Checks against the real labelled collection in ../shared/data (research data, never copied here).

Skipped on a user's clone, where the folder does not exist. Only labels are read, no audio."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from fmaplayer.ml import manifest
from fmaplayer.training import datasets

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "mer4q" / "labels.csv").is_file(),
    reason=f"{SHARED_DATA} is absent (the research data lives beside the repository, not in it)",
)


SEED = 20261122  # the seed in the bundled model's manifest


@pytest.fixture(scope="module")
def items_and_split():
    items = datasets.load_dataset(SHARED_DATA)
    return items, datasets.artist_split(items, seed=SEED)


def test_split_regenerated_from_the_seed_is_the_one_the_bundled_model_was_trained_on(items_and_split):
    trained = json.loads(manifest.manifest_path_for(manifest.bundled_model_path()).read_text())["training"]
    items, split = items_and_split
    assert f"seed {SEED}" in trained["split"]
    assert datasets.summary(items, split) == trained["summary"]


def test_no_artist_is_in_two_parts_of_the_split(items_and_split):
    items, split = items_and_split
    parts_of = defaultdict(set)
    for it in items:
        if it.artist:
            parts_of[it.artist].add(split[it.path])
    assert parts_of and all(len(parts) == 1 for parts in parts_of.values())
