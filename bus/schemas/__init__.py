"""Event contracts: loading, encoding and the Kafka wire format."""
