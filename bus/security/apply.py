"""Put the catalogue's principals on a cluster: SCRAM users and ALLOW bindings.

Like ``bus topics apply`` it only adds: bindings and users that exist are
left alone, so a second run changes nothing, and nothing is ever removed
(bindings on the cluster that the catalogue no longer implies are reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from bus.kafka.connection import librdkafka_config
from bus.security.credentials import read_passwords, with_new_passwords, write_passwords
from bus.security.principals import Binding, Principal, all_bindings, principals
from bus.security.protocol import (
    AclRequestError,
    create_bindings,
    describe_bindings,
    scram_users,
    set_scram_users,
)
from bus.settings import Settings


@dataclass(frozen=True)
class AclPlan:
    principals: list[Principal]
    new_users: list[str]
    new_bindings: list[Binding]
    extra_bindings: list[Binding]

    @property
    def changes(self) -> int:
        return len(self.new_users) + len(self.new_bindings)


def plan(
    wanted: list[Principal], users: set[str], bindings: set[Binding], admin_user: str | None
) -> AclPlan:
    """What to add so the cluster grants what ``wanted`` says (pure)."""
    desired = all_bindings(wanted)
    ours = {principal.principal for principal in wanted}
    return AclPlan(
        principals=wanted,
        new_users=sorted(p.name for p in wanted if p.name not in users),
        new_bindings=[binding for binding in desired if binding not in bindings],
        extra_bindings=sorted(
            binding
            for binding in bindings - set(desired)
            if binding.principal in ours and binding.principal != f"User:{admin_user}"
        ),
    )


async def apply_acls(
    settings: Settings,
    catalogue: Catalogue,
    credentials: Path,
    *,
    dry_run: bool = False,
) -> AclPlan:
    """Create the missing users (passwords from/into ``credentials``) and bindings."""
    if not settings.security_protocol.startswith("SASL_"):
        raise ConfigurationError(
            "ACLs need a secured cluster: set BUS_SECURITY_PROTOCOL=SASL_PLAINTEXT (or SASL_SSL) "
            "and the super user's BUS_SASL_USERNAME/BUS_SASL_PASSWORD (see `bus kafka start "
            "--sasl`)"
        )
    wanted = principals(catalogue, settings)
    admin = AdminClient(librdkafka_config(settings))
    try:
        result = plan(
            wanted,
            await scram_users(admin),
            await describe_bindings(admin),
            settings.sasl_username,
        )
        if dry_run or not result.changes:
            return result
        passwords = with_new_passwords(read_passwords(credentials), result.new_users)
        write_passwords(credentials, passwords)
        await set_scram_users(admin, {name: passwords[name] for name in result.new_users})
        await create_bindings(admin, result.new_bindings)
    except AclRequestError as exc:
        raise ConfigurationError(
            f"{exc}; is {settings.sasl_username!r} a super user of the cluster?"
        ) from exc
    return result
