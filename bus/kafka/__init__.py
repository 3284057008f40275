"""Kafka at the edges: the local development broker and topic administration."""
