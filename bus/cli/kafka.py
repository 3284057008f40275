"""``bus kafka start|stop|status``: the local broker, or a local three-broker cluster."""

from __future__ import annotations

import argparse
from pathlib import Path

from bus.cli.parser import Commands
from bus.errors import ConfigurationError
from bus.kafka.cluster import CLUSTER_PORT, LocalCluster
from bus.kafka.local import LocalKafka, SaslAdmin
from bus.settings import Settings


def _sasl(args: argparse.Namespace, settings: Settings) -> SaslAdmin | None:
    if not args.sasl:
        return None
    if not settings.sasl_username or settings.sasl_password is None:
        raise ConfigurationError(
            "--sasl needs the super user's credentials: set BUS_SASL_USERNAME and "
            "BUS_SASL_PASSWORD (the brokers authenticate to each other as this user)"
        )
    return SaslAdmin(settings.sasl_username, settings.sasl_password.get_secret_value())


def _cluster(args: argparse.Namespace, settings: Settings) -> LocalCluster:
    port = args.port or CLUSTER_PORT
    sasl = _sasl(args, settings)
    return LocalCluster(
        settings.home, port, args.data_dir, brokers=args.brokers, sasl=sasl, tls=args.tls
    )


def _nodes(args: argparse.Namespace, settings: Settings) -> list[LocalKafka]:
    if args.brokers > 1:
        return _cluster(args, settings).nodes
    port, sasl = args.port or 9092, _sasl(args, settings)
    return [
        LocalKafka(settings.home, port, args.data_dir, settings.kafka_heap, sasl=sasl, tls=args.tls)
    ]


def _start(args: argparse.Namespace, settings: Settings) -> int:
    if args.brokers == 1:
        node = _nodes(args, settings)[0]
        already = node.pid() is not None
        status = node.start()
        print(("already running: " if already else "started: ") + status.describe())
        return 0
    cluster = _cluster(args, settings)
    for node, started in zip(cluster.nodes, cluster.start(), strict=True):
        print(("started: " if started else "already running: ") + node.status().describe())
    print(f"bootstrap servers: {cluster.bootstrap_servers}")
    return 0


def _stop(args: argparse.Namespace, settings: Settings) -> int:
    if args.brokers > 1:
        cluster = _cluster(args, settings)
        for node, stopped in zip(cluster.nodes, cluster.stop(), strict=True):
            print("stopped" if stopped else "not running", node.bootstrap_servers)
        return 0
    node = _nodes(args, settings)[0]
    print("stopped" if node.stop() else "not running", node.bootstrap_servers)
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    statuses = [node.status() for node in _nodes(args, settings)]
    for status in statuses:
        print(status.describe())
    return 0 if all(status.running for status in statuses) else 3


def register(commands: Commands) -> None:
    kafka = commands.add_parser("kafka", help="run a local KRaft Kafka (one node or a cluster)")
    actions = kafka.add_commands(dest="action", metavar="ACTION", required=True)
    for name, handler, text in (
        ("start", _start, "fetch Kafka's jars if needed, start the broker(s) and wait for them"),
        ("stop", _stop, "stop the broker(s)"),
        ("status", _status, "say whether the broker(s) run, their address, data and log"),
    ):
        parser = actions.add_parser(name, help=text, description=text)
        parser.add_argument(
            "--port",
            type=int,
            help=f"(first) broker port (default 9092, or {CLUSTER_PORT} with --brokers 3)",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            metavar="DIR",
            help="node folder (default: $BUS_HOME/kafka/node-PORT, or .../cluster-PORT)",
        )
        parser.add_argument(
            "--brokers",
            type=int,
            default=1,
            choices=(1, 3),
            help="1 (default) or 3 combined broker+controller nodes on ports PORT..PORT+2",
        )
        if name == "start":
            parser.add_argument(
                "--sasl",
                action="store_true",
                help="SASL/SCRAM-SHA-512 and ACLs; super user from BUS_SASL_USERNAME/PASSWORD",
            )
            parser.add_argument(
                "--tls",
                action="store_true",
                help="TLS on every listener (SSL, or SASL_SSL with --sasl) with a local CA "
                "made in the data dir; clients trust it with BUS_SSL_CAFILE",
            )
        # stop and status need no credentials; status reads the protocol back
        parser.set_defaults(func=handler, sasl=False, tls=False)
