"""What a schema owner does with the local contracts: register, check, list.

``check`` is meant for an agency's CI: it compares each local schema with the
registry's latest version under the subject's compatibility mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from bus.schemas.contracts import Contract
from bus.schemas.registry_client import RegistryClient


@dataclass(frozen=True)
class CheckResult:
    subject: str
    status: str  # new | unchanged | compatible | incompatible
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != "incompatible"


async def register_all(
    client: RegistryClient, contracts: dict[str, Contract]
) -> list[tuple[str, int, int]]:
    """Register every contract; return (subject, id, version) for each."""
    registered = []
    for contract in contracts.values():
        schema_id = await client.register(contract.subject, contract.canonical)
        found = await client.lookup(contract.subject, contract.canonical)
        version = found[1] if found else 0
        registered.append((contract.subject, schema_id, version))
    return registered


async def check_all(client: RegistryClient, contracts: dict[str, Contract]) -> list[CheckResult]:
    results = []
    for contract in contracts.values():
        results.append(await check_one(client, contract))
    return results


async def check_one(client: RegistryClient, contract: Contract) -> CheckResult:
    latest = await client.latest(contract.subject)
    if latest is None:
        return CheckResult(contract.subject, "new", "not registered yet; will be version 1")
    _, version, _ = latest
    if await client.lookup(contract.subject, contract.canonical):
        return CheckResult(contract.subject, "unchanged", f"already registered (latest v{version})")
    mode = await client.get_compatibility(contract.subject)
    compatible, messages = await client.test_compatibility(contract.subject, contract.canonical)
    if compatible:
        return CheckResult(contract.subject, "compatible", f"compatible with v{version} ({mode})")
    reasons = "; ".join(messages) or "the registry gave no reason"
    return CheckResult(
        contract.subject, "incompatible", f"incompatible with v{version} under {mode}: {reasons}"
    )
