"""Entry point of the ``bus`` command.

Each command group lives in its own module with a ``register(subparsers)``
function; a command's handler takes the parsed arguments and the settings and
returns the process exit code. Errors are turned into one line here, for every
command alike: ``bus: error: <what, and what to do>`` on stderr, exit 2 for a
usage or configuration error and 1 for a failure; only a bug shows a traceback.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from typing import Any

from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NoBrokersAvailable,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnknownTopicOrPartitionError,
)
from pydantic import ValidationError

from bus import __version__, logs
from bus.cli.parser import USAGE, BusParser
from bus.errors import BusError, ConfigurationError
from bus.settings import Settings

FAILURE = 1
"""Exit code of a command that was called right but could not do its work."""

_UNREACHABLE = (KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable)
_DENIED = (
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
_CANNOT_BIND = (errno.EADDRNOTAVAIL, errno.EACCES)
_SECRET_FIELDS = ("password", "key", "secret")


def build_parser() -> BusParser:
    from bus.cli import (
        acl,
        asyncapi,
        audit,
        catalogue,
        completion,
        datamap,
        deadletters,
        demo,
        gateway,
        kafka,
        officials,
        rasa,
        registry,
        replay,
        sandbox,
        schemas,
        topics,
        webhooks,
        worker,
    )

    parser = BusParser(
        prog="bus", description="The agency assistant bus: events between agency assistants."
    )
    parser.add_argument("--version", action="version", version=f"bus {__version__}")
    _add_common_options(parser, default=None)
    commands = parser.add_commands(dest="command", metavar="COMMAND", required=True)
    for module in (
        kafka,
        topics,
        worker,
        registry,
        schemas,
        demo,
        officials,
        acl,
        audit,
        replay,
        deadletters,
        gateway,
        webhooks,
        rasa,
        sandbox,
        asyncapi,
        datamap,
        catalogue,
        completion,
    ):
        module.register(commands)
    for path, command in parser.walk():
        if path and command.commands is None:
            _add_common_options(command, default=argparse.SUPPRESS)
    return parser


def _add_common_options(parser: BusParser, *, default: Any) -> None:
    """The options every command takes, before its name or after it (there: not set unless
    given, so they do not undo one given before the name)."""
    parser.add_argument(
        "--bootstrap-servers",
        "--bootstrap-server",
        metavar="HOST:PORT[,...]",
        default=default,
        help="Kafka bootstrap servers (default: $BUS_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument(
        "--schema-registry-url",
        metavar="URL",
        default=default,
        help="schema registry URL (default: $BUS_SCHEMA_REGISTRY_URL or http://127.0.0.1:8081)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if default is None else default,
        help="log at DEBUG level",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with command-line options taking precedence over the environment."""
    overrides = {
        name: value
        for name in ("bootstrap_servers", "schema_registry_url")
        if (value := getattr(args, name, None))
    }
    return Settings(**overrides)


def explain(exc: BaseException, settings: Settings | None) -> tuple[int, str] | None:
    """The exit code and the one line to print for an error the user can act on.

    None for anything else: that is a bug, and its traceback is what to report.
    """
    if isinstance(exc, BaseExceptionGroup):
        return next(filter(None, (explain(inner, settings) for inner in exc.exceptions)), None)
    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        return USAGE, _bad_settings(exc)
    if isinstance(exc, ConfigurationError):
        return USAGE, str(exc)
    if isinstance(exc, BusError):
        return FAILURE, str(exc)
    servers = settings.bootstrap_servers if settings else "$BUS_BOOTSTRAP_SERVERS"
    if isinstance(exc, _UNREACHABLE):
        return FAILURE, (
            f"cannot reach Kafka at {servers}: start it with `bus kafka start`, or point "
            "--bootstrap-servers (or BUS_BOOTSTRAP_SERVERS) at your cluster; " + _tls_hint(settings)
        )
    if isinstance(exc, _DENIED):
        return FAILURE, (
            f"Kafka at {servers} refused this principal ({type(exc).__name__}): grant it with "
            "`bus acl apply`, or set BUS_SASL_USERNAME to a principal that may"
        )
    if isinstance(exc, UnknownTopicOrPartitionError):
        return FAILURE, (
            f"a topic is not on Kafka at {servers}: create the catalogue's with "
            "`bus topics apply`, or check the topic's name"
        )
    if isinstance(exc, KafkaError):
        return FAILURE, f"Kafka at {servers}: {type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return FAILURE, (
            f"cannot listen: {exc.strerror}; stop the process that holds the port, or choose "
            "another with --port"
        )
    if isinstance(exc, OSError) and exc.errno in _CANNOT_BIND and "bind" in str(exc.strerror):
        return FAILURE, (
            f"cannot listen: {exc.strerror}; choose an address of this machine with --host "
            "and a port above 1023 with --port"
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        return FAILURE, f"{exc.filename}: {exc.strerror}"
    return None


def _tls_hint(settings: Settings | None) -> str:
    """A TLS listener closes a plaintext connection at once, and a client that does not
    trust its certificate fails the handshake: both look like an absent broker."""
    if settings is None or not settings.security_protocol.endswith("SSL"):
        return (
            "if its listeners speak TLS, set BUS_SECURITY_PROTOCOL=SSL (or SASL_SSL) and "
            "BUS_SSL_CAFILE"
        )
    if settings.ssl_cafile is None:
        return "set BUS_SSL_CAFILE to the CA that signed the brokers' certificates"
    return f"check that BUS_SSL_CAFILE ({settings.ssl_cafile}) signed the brokers' certificates"


def _bad_settings(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        variable = f"BUS_{field.upper()}"
        if not any(word in field for word in _SECRET_FIELDS):
            variable += f"={error['input']!r}"
        problems.append(f"{variable}: {error['msg']}")
    return "; ".join(problems) + "; fix it in the environment (or .env)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(verbose=args.verbose)
    settings = None
    try:
        settings = settings_from(args)
        code: int = args.func(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        explained = explain(exc, settings)
        if explained is None:
            raise
        code, message = explained
        print(f"bus: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
