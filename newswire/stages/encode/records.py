"""Avro-ready dicts from plain data. The pipeline and `newswire classify` share these."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from newswire.core.model import DeadLetter, Item


def from_millis(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_json(record: dict[str, Any]) -> str:
    """One JSON line: times as ISO 8601, bytes as hex."""
    return json.dumps(record, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def article_key(item: Item) -> dict[str, Any]:
    return {"id": item.article_id}


def article_record(item: Item, processed_at_ms: int) -> dict[str, Any]:
    article, page, labels = item.article, item.page, item.classification
    return {
        "id": item.article_id,
        "kind": article.kind.value,
        "page_id": page.page_id,
        "source": page.source,
        "title": article.title,
        "alt_titles": list(article.alt_titles),
        "lede": article.lede,
        "body": article.body,
        "caption": article.caption,
        "dateline_place": article.dateline_place,
        "dateline_date": article.dateline_date,
        "partner_countries": list(labels.partner_countries),
        "themes": list(labels.themes),
        "evidence": [{"label": e.label, "field": e.field, "text": e.text} for e in labels.evidence],
        "replayed_at": from_millis(page.replayed_at_ms),
        "processed_at": from_millis(processed_at_ms),
        "origin": page.origin,
        "scores": [{"label": s.label, "score": s.score, "iptc": s.iptc} for s in labels.scores],
        "entities": [
            {
                "type": e.type,
                "text": e.text,
                "normalised": e.normalised,
                "field": e.field,
                "mentions": e.mentions,
            }
            for e in labels.entities
        ],
        "story_id": item.story.story_id if item.story else None,
        "canonical": item.story.canonical if item.story else True,
        "first_seen": from_millis(item.story.first_seen_ms) if item.story else None,
    }


def dead_letter_record(dead: DeadLetter, failed_at_ms: int) -> dict[str, Any]:
    message = dead.message
    return {
        "reason": dead.reason,
        "detail": dead.detail,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": message.key,
        "value": message.value,
        "headers": dict(message.headers),
        "timestamp": from_millis(message.timestamp_ms),
        "failed_at": from_millis(failed_at_ms),
    }
