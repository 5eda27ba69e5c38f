from __future__ import annotations

import io
import json

import avro.io
import avro.schema
import pytest

from newswire.config import Settings
from newswire.core.ids import article_id
from newswire.core.model import DeadLetter, Item, Kind, Message, PageRef
from newswire.devtools.files import read_items
from newswire.stages.classify.classifier import Classifier
from newswire.stages.encode.avro_codec import MAGIC, AvroCodec, fingerprint
from newswire.stages.encode.encoder import SCHEMAS_DIR, Encoder
from newswire.stages.encode.records import article_record
from newswire.stages.encode.wire import (
    CONFLUENT,
    SINGLE_OBJECT,
    SchemaIds,
    WireFormat,
    confluent_header,
    confluent_id,
)
from newswire.stages.parse.page import parse_page
from tests.conftest import SEEDS


def _avro_writes(schema: avro.schema.Schema, datum: dict) -> bytes:
    """The reference: the avro package's own writer."""
    buffer = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buffer))
    return buffer.getvalue()


def _item() -> Item:
    text = (SEEDS / "000_f63c9966fde575a3.txt").read_text(encoding="utf-8")
    article = parse_page(text).article
    page = PageRef("p-1", "000.txt", 1_700_000_000_123, "raw/0@0")
    return Classifier.from_data(nlp_model="none").classify_item(
        Item(article_id(article), page, article)
    )


def test_article_round_trip_through_single_object_encoding() -> None:
    encoder = Encoder()
    item = _item()
    key, value = encoder.encode_item(item)
    assert value[:2] == MAGIC and value[2:10] == fingerprint(encoder.article.schema)
    record = encoder.article.decode(value)
    assert encoder.key.decode(key) == {"id": item.article_id}
    assert record["id"] == item.article_id
    assert record["kind"] == Kind.ARTICLE.value
    assert record["partner_countries"] == ["KR"]
    assert record["replayed_at"].timestamp() == 1_700_000_000.123
    assert record["evidence"] and all(
        e["field"] in {"title", "lede", "caption", "body"} for e in record["evidence"]
    )


def test_records_are_the_bytes_the_avro_package_writes_and_read_back_as_it_reads_them() -> None:
    encoder = Encoder()
    classifier = Classifier.from_data(nlp_model="none")
    items = [
        item
        for path in sorted(SEEDS.glob("*.txt"))
        for item in classifier.classify_items(read_items(path, 10**7))
    ]
    assert len(items) > 20
    for item in items:
        datum = article_record(item, 1_700_000_000_456)
        value = encoder.article.encode(datum)
        assert value[10:] == _avro_writes(encoder.article.schema, datum)
        reader = avro.io.DatumReader(encoder.article.schema)
        assert encoder.article.decode(value) == reader.read(
            avro.io.BinaryDecoder(io.BytesIO(value[10:]))
        )


def test_a_record_written_with_the_first_release_reads_with_the_new_fields_defaulted() -> None:
    encoder = Encoder()
    v1 = avro.schema.parse((SCHEMAS_DIR / "history/v1/article.avsc").read_text())
    datum = article_record(_item(), 1_700_000_000_456)
    for name in ("scores", "entities", "story_id", "canonical", "first_seen"):
        datum.pop(name)
    old = MAGIC + fingerprint(v1) + _avro_writes(v1, datum)
    record = encoder.article.decode(old)
    assert (record["id"], record["partner_countries"]) == (datum["id"], ["KR"])
    assert (record["scores"], record["entities"], record["story_id"]) == ([], [], None)
    assert record["canonical"] is True


def test_dead_letter_keeps_the_original_bytes() -> None:
    encoder = Encoder()
    message = Message("raw", 1, 9, None, b"\xff\xfe", 1000, (("source", b"x"),))
    key, value = encoder.encode_dead_letter(DeadLetter("not_utf8", "bad byte", message))
    record = encoder.dead_letter.decode(value)
    assert key is None
    assert (record["reason"], record["value"], record["headers"]) == (
        "not_utf8",
        b"\xff\xfe",
        {"source": b"x"},
    )
    assert (record["topic"], record["partition"], record["offset"]) == ("raw", 1, 9)


def test_decoding_rejects_unknown_fingerprints_and_foreign_bytes() -> None:
    codec = AvroCodec(
        avro.schema.parse(
            json.dumps({"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]})
        )
    )
    other = AvroCodec(
        avro.schema.parse(
            json.dumps({"type": "record", "name": "B", "fields": [{"name": "y", "type": "int"}]})
        )
    )
    assert codec.decode(codec.encode({"x": 5})) == {"x": 5}
    with pytest.raises(ValueError, match="unknown writer schema"):
        codec.decode(other.encode({"y": 1}))
    with pytest.raises(ValueError, match="single-object"):
        codec.decode(b"plain")


def test_schemas_are_documented() -> None:
    for path in SCHEMAS_DIR.glob("*.avsc"):
        schema = json.loads(path.read_text())
        assert schema.get("namespace") == "newswire.v1", path.name
        assert schema.get("doc"), path.name


def test_confluent_framing_names_the_registry_id_and_reads_back_through_a_lookup() -> None:
    wire = WireFormat(CONFLUENT, SchemaIds(key=7, article=8, dead_letter=9))
    item = _item()
    key, value = Encoder(wire=wire).encode_item(item)
    assert (key[:1], confluent_id(key)) == (b"\x00", 7)
    assert (value[:1], confluent_id(value)) == (b"\x00", 8)
    asked: list[int] = []

    def lookup(schema_id: int) -> avro.schema.Schema:
        asked.append(schema_id)
        return Encoder().article.schema

    reader = Encoder(lookup=lookup)
    assert reader.article.decode(value)["id"] == item.article_id
    assert asked == [8]
    single = Encoder().encode_item(item)[1]
    assert reader.article.decode(single)["id"] == item.article_id  # either format
    with pytest.raises(ValueError, match="--schema-registry-url"):
        Encoder().article.decode(value)


def test_the_wire_format_follows_the_registry_unless_set() -> None:
    assert confluent_header(258) == b"\x00\x00\x00\x01\x02" and confluent_id(b"\xc3\x01xx") is None
    assert Settings().effective_wire_format() == SINGLE_OBJECT
    with_registry = Settings(schema_registry_url="http://127.0.0.1:1/apis/ccompat/v7")
    assert with_registry.effective_wire_format() == CONFLUENT
    assert with_registry.replace(wire_format=SINGLE_OBJECT).effective_wire_format() == SINGLE_OBJECT
    with pytest.raises(ValueError, match="schema-registry-url"):
        Settings(wire_format=CONFLUENT).effective_wire_format()
    with pytest.raises(ValueError, match="registry ids"):
        WireFormat(CONFLUENT)
