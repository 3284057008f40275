"""``bus kafka start|stop|status``: the local single-node broker."""

from __future__ import annotations

import argparse
from pathlib import Path

from bus.kafka.local import LocalKafka
from bus.settings import Settings


def _node(args: argparse.Namespace, settings: Settings) -> LocalKafka:
    return LocalKafka(
        settings.home, port=args.port, data_dir=args.data_dir, heap=settings.kafka_heap
    )


def _start(args: argparse.Namespace, settings: Settings) -> int:
    node = _node(args, settings)
    already = node.pid() is not None
    status = node.start()
    print(("already running: " if already else "started: ") + status.describe())
    return 0


def _stop(args: argparse.Namespace, settings: Settings) -> int:
    node = _node(args, settings)
    print("stopped" if node.stop() else "not running", node.bootstrap_servers)
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    status = _node(args, settings).status()
    print(status.describe())
    return 0 if status.running else 3


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kafka = commands.add_parser("kafka", help="run a local single-node Kafka (KRaft)")
    actions = kafka.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, handler, text in (
        ("start", _start, "fetch Kafka's jars if needed, start the broker and wait for it"),
        ("stop", _stop, "stop the broker"),
        ("status", _status, "say whether the broker runs, its address, data and log"),
    ):
        parser = actions.add_parser(name, help=text, description=text)
        parser.add_argument("--port", type=int, default=9092, help="broker port (default 9092)")
        parser.add_argument(
            "--data-dir", type=Path, help="node folder (default: $BUS_HOME/kafka/node-PORT)"
        )
        parser.set_defaults(func=handler)
