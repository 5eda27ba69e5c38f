"""Encode: records built from plain data, serialised as Avro (single-object encoding)."""
