"""Source: pages into Kafka (the replayer) and out of it into the pipeline (the Kafka read)."""
