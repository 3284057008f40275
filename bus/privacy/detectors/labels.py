"""A number labelled as an order, case, contract, reference or registry number, or as a code,
is no phone or card.

Seven- and eight-digit order numbers are valid Estonian phone numbers and one
in ten long numbers passes Luhn, so for those detectors the words written just
before the number decide (``tellimus nr 7345123``, ``order #51234567``,
``заказ № 6123456``, ``uksekood 4821733``, ``код фирмы 82064604``). Labels are
whole words with their case endings, not every compound: ``klienditeenindus``,
``piletikassa`` and ``case worker`` are followed by phone numbers. A phone
word before the label makes it a possessive: ``телефон клиента 5123 4567``.
"""

from __future__ import annotations

import re

_PHONE_WORDS = r"""
    (?: tel | telefon\w* | phone\w* | mob | mobiil\w* | mobile | gsm | helista\w* | call
      | тел | телефон\w* | моб | мобильн\w* | звон\w* ) (?!\w)
"""
_LABEL = re.compile(
    rf"""(?ix)
    (?<!\w)
    (?:
        (?: order | invoice | ref | reference | case | ticket | booking | tracking | receipt
          | registry | registration | application | contract | customer\ number | client\ number
          | code | pin | puk | password ) (?:'?s)? \.?
      | (?: tellimus | arve | viite | toimik | asja | kohtuasi | pilet | broneering | taotlus
          | leping | kliendi | menetlus | registri | \w*kood | parool ) \w{{0,4}}
        (?: number | nr | kood )?
      | (?: заказ | дел | квитанци | билет | бронировани | накладн | регистрационн | ссылк
          | заявлени | договор | клиентск | код | пароль | сч[её]т ) \w{{0,4}}
        # and a lower-case genitive after it: код фирмы
        (?: \s+ (?! {_PHONE_WORDS} ) (?-i:[\u0430-\u044f\u0451]) \w* )?
    )
    [\s:]*
    (?: (?: nr | no | num(?:ber)? | номер ) \.? [\s:]* | [#№] \s* )?
    \Z
    """
)
_PHONE_WORD_BEFORE = re.compile(rf"(?ix) (?<!\w) {_PHONE_WORDS} \.? \s+ \Z")
_WINDOW = 60


def labelled_as_reference(text: str, start: int) -> bool:
    """Whether the words right before ``text[start]`` label it as a non-personal number."""
    before = text[max(0, start - _WINDOW) : start]
    label = _LABEL.search(before)
    return label is not None and _PHONE_WORD_BEFORE.search(before, 0, label.start()) is None
