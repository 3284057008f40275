from aiokafka.partitioner import DefaultPartitioner

from bus.kafka.partitioner import CachingPartitioner


def test_a_key_lands_on_the_partition_every_kafka_client_picks() -> None:
    cached, default = CachingPartitioner(), DefaultPartitioner()
    partitions = list(range(7))
    keys = [f"conversation-{n}".encode() for n in range(500)] + [b"", b"\xff" * 40]
    for _ in range(2):  # the second round answers from the cache
        for key in keys:
            assert cached(key, partitions, partitions) == default(key, partitions, partitions)


def test_the_cached_hash_fits_any_partition_count() -> None:
    cached, default = CachingPartitioner(), DefaultPartitioner()
    for count in (1, 4, 12, 4):
        partitions = list(range(count))
        assert cached(b"c-42", partitions, []) == default(b"c-42", partitions, [])


def test_a_full_cache_starts_over_instead_of_growing() -> None:
    cached = CachingPartitioner(max_keys=10)
    for n in range(35):
        cached(str(n).encode(), [0, 1, 2], [0, 1, 2])
    assert len(cached._hashes) <= 10


def test_records_without_a_key_go_to_an_available_partition() -> None:
    cached = CachingPartitioner()
    assert {cached(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
    assert {cached(None, [0, 1], []) for _ in range(50)} <= {0, 1}
