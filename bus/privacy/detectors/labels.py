"""A number labelled as an order, invoice, case or reference number is not a phone or a card.

Seven- and eight-digit order numbers are valid Estonian phone numbers and one
in ten long numbers passes Luhn, so for those detectors the word written just
before the number decides. Only the label right before it counts
(``tellimus nr 7345123``, ``order #51234567``, ``заказ № 6123456``).
"""

from __future__ import annotations

import re

_LABEL = re.compile(
    r"""(?ix)
    (?<!\w)
    (?: order | invoice | ref(?:erence)? | case | ticket | booking | tracking | receipt
      | tellimus | arve | viite(?:number)? | toimik | asja | kohtuasi | pilet | broneering
      | заказ | дело | квитанци | билет | бронировани | накладн )
    \w*                                  # inflected forms: tellimuse, arvel, заказа
    [\s:]*
    (?: (?: nr | no | num(?:ber)? | номер ) \.? [\s:]* | [#№] \s* )?
    \Z
    """
)
_WINDOW = 40


def labelled_as_reference(text: str, start: int) -> bool:
    """Whether the words right before ``text[start]`` label it as a non-personal number."""
    return _LABEL.search(text[max(0, start - _WINDOW) : start]) is not None
