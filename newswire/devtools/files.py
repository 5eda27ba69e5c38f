"""Page files on disk as the pipeline would see them from Kafka, for the offline commands."""

from __future__ import annotations

from pathlib import Path

from newswire.core.model import Item, Message, Page
from newswire.stages.parse.decode import SOURCE_HEADER, read_page
from newswire.stages.parse.split import split_page


def file_message(path: Path, offset: int = 0) -> Message:
    return Message(
        topic="file",
        partition=0,
        offset=offset,
        key=None,
        value=path.read_bytes(),
        timestamp_ms=int(path.stat().st_mtime * 1000),
        headers=((SOURCE_HEADER, path.name.encode()),),
    )


def read_items(path: Path, max_page_bytes: int, offset: int = 0) -> list[Item]:
    """The page's article and teasers; raises `Rejected` as the pipeline would dead-letter it."""
    return split_page(read_file_page(path, max_page_bytes, offset))


def read_file_page(path: Path, max_page_bytes: int, offset: int = 0) -> Page:
    """The file as the page the pipeline would decode; raises `Rejected` as it would."""
    return read_page(file_message(path, offset), max_page_bytes)
