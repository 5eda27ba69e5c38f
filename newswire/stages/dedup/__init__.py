"""Dedup: stable ids from normalised text, and the keyed state that emits each id once."""
