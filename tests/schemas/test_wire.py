import pytest

from bus.errors import NotWireFormatError
from bus.schemas.wire import frame, unframe


def test_frame_writes_magic_byte_and_big_endian_id() -> None:
    assert frame(258, b"body") == b"\x00\x00\x00\x01\x02body"


def test_unframe_returns_id_and_body() -> None:
    schema_id, body = unframe(frame(7, b"abc"))
    assert schema_id == 7
    assert bytes(body) == b"abc"


@pytest.mark.parametrize("data", [b"", b"\x00\x00", b"\x01\x00\x00\x00\x01x", b"{json}", None])
def test_unframe_rejects_bytes_that_are_not_the_wire_format(data: bytes | None) -> None:
    with pytest.raises(NotWireFormatError):
        unframe(data)
