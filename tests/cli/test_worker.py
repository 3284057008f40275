import logging

import faust

from bus.cli.worker import faust_worker


def test_a_quiet_worker_does_not_turn_the_root_logger_to_debug() -> None:
    """Faust's spinner would, and every aiokafka debug record would then be built."""
    app = faust.App("bus-test-worker-logging", broker="kafka://127.0.0.1:1", web_enabled=False)
    worker = faust_worker(app, "warn")
    logger = logging.Logger("root-under-test", logging.WARN)
    logger.addHandler(logging.NullHandler())
    worker.on_setup_root_logger(logger, logging.WARN)
    assert logger.level == logging.WARN
    assert not logger.isEnabledFor(logging.DEBUG)
