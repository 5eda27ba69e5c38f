"""The replayer: publish seed pages to the raw topic as a live wire would.

Each page goes out as its raw bytes, keyed by its page id, with the file name and replay time
in headers; `loop` re-delivers the whole set, `rate` paces it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

from kafka import KafkaProducer

from newswire.core.ids import page_id
from newswire.core.text import digest
from newswire.devtools.corpus import edit_page
from newswire.progress import Progress
from newswire.stages.parse.decode import REPLAYED_AT_HEADER, SOURCE_HEADER


def seed_files(seeds_dir: Path) -> list[Path]:
    files = sorted(seeds_dir.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no seed pages (*.txt) in {seeds_dir}")
    return files


def page_key(raw: bytes) -> bytes:
    """The page id when the bytes are text (as the pipeline computes it), else a bytes hash."""
    try:
        return page_id(raw.decode("utf-8")).encode()
    except UnicodeDecodeError:
        return ("p-" + digest(raw.hex())).encode()


def replay_records(
    files: list[Path], loop: int, perturb: bool = False, seed: int = 0
) -> Iterator[tuple[bytes, bytes, str]]:
    """Each page `loop` times; with `perturb`, every delivery after the first is edited as a
    wire re-delivers a story (`corpus.edit_page`), so near-duplicate detection is exercised."""
    rng = random.Random(seed)
    pages = [(f.name, f.read_bytes()) for f in files]
    for n in range(loop):
        for name, raw in pages:
            if perturb and n > 0:
                raw = edit_page(raw.decode("utf-8"), rng).encode("utf-8")
            yield page_key(raw), raw, name


def replay(
    producer: KafkaProducer,
    topic: str,
    files: list[Path],
    loop: int = 1,
    rate: float = 0.0,
    perturb: bool = False,
) -> int:
    """Publish the pages `loop` times at `rate` pages per second (0: as fast as possible)."""
    progress = Progress(len(files) * loop, "replay")
    interval = 1.0 / rate if rate > 0 else 0.0
    started = time.monotonic()
    sent = 0
    for key, raw, name in replay_records(files, loop, perturb):
        if interval:
            time.sleep(max(0.0, started + sent * interval - time.monotonic()))
        now_ms = int(time.time() * 1000)
        producer.send(
            topic,
            key=key,
            value=raw,
            timestamp_ms=now_ms,
            headers=[(SOURCE_HEADER, name.encode()), (REPLAYED_AT_HEADER, str(now_ms).encode())],
        ).get(timeout=60)
        sent += 1
        progress.step(name)
    producer.flush()
    return sent
