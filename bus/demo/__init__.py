"""``bus demo``: the bus end to end on a local Kafka, with a readable summary."""
