"""The router agent's handling of a batch that spans a rebalance, without Faust."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bus.app.agents.router import _current


def _item(offset: int, generation: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(offset=offset, generation_id=generation))


async def test_a_batch_spanning_a_rebalance_handles_the_messages_read_after_it() -> None:
    """Those read before it are read again; those after it are not, so none may be dropped."""
    app = SimpleNamespace(consumer_generation_id=8)
    batch = [_item(10, 7), _item(11, 7), _item(10, 8), _item(11, 8), _item(12, 8)]
    handled = [item.message.offset async for item in _current(batch, app)]
    assert handled == [10, 11, 12]


async def test_a_rebalance_while_a_batch_is_handled_leaves_its_rest_unhandled() -> None:
    app = SimpleNamespace(consumer_generation_id=3)
    handled = []
    async for item in _current([_item(1, 3), _item(2, 3), _item(3, 3)], app):
        handled.append(item.message.offset)
        app.consumer_generation_id = 4  # the group rebalanced while the first was handled
    assert handled == [1]
