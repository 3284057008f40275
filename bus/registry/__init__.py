"""A Confluent-compatible schema registry whose state lives in a compacted Kafka topic."""
