"""``bus worker``: run the bus's Faust agents against the configured broker."""

from __future__ import annotations

import argparse
import asyncio

from bus.app.factory import create_app, worker_topics
from bus.kafka.admin import ensure_topics
from bus.kafka.connection import security_kwargs
from bus.metrics.http import serve_metrics
from bus.settings import Settings


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from faust.worker import Worker

    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)
    topics = worker_topics(settings)
    asyncio.run(ensure_topics(settings.bootstrap_servers, topics, **security_kwargs(settings)))
    app, _runtime = create_app(settings)
    serve_metrics(settings.metrics_host, settings.metrics_port)
    worker = Worker(app, loglevel=args.loglevel, quiet=True)
    worker.execute_from_commandline()
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("worker", help="run the bus's agents (Faust worker)")
    parser.add_argument("--loglevel", default="info", help="worker log level (default info)")
    parser.set_defaults(func=_worker)
