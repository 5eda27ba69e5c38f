"""Sink: encoded records onto Kafka topics."""
