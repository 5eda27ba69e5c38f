"""Local infrastructure for development, tests and the demo: a real Kafka broker on loopback."""
