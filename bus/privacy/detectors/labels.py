"""A number labelled as an order, case, contract, reference or registry number, or as a code,
is no phone or card.

Seven- and eight-digit order numbers are valid Estonian phone numbers and one
in ten long numbers passes Luhn, so for those detectors the word written just
before the number decides. Only the label right before it counts
(``tellimus nr 7345123``, ``order #51234567``, ``заказ № 6123456``,
``uksekood 4821733``); ``kliendi telefon 5123 4567`` and ``телефон клиента
8401 1950`` stay phones.
"""

from __future__ import annotations

import re

_LABEL = re.compile(
    r"""(?ix)
    (?<!\w)
    (?: order | invoice | ref(?:erence)? | case | ticket | booking | tracking | receipt | regist
      | application | contract | customer | client | code | pin | puk | password
      | tellimus | arve | viite | toimik | asja | kohtuasi | pilet | broneering | taotlus
      | leping | klient | kliendi | menetlus | \w*kood | parool
      | заказ | дело | квитанци | билет | бронировани | накладн | регистрац | ссылк
      | заявлени | договор | клиент | код | пароль )
    \w*                                  # inflected forms: tellimuse, arvel, заказа
    [\s:]*
    (?: (?: nr | no | num(?:ber)? | номер ) \.? [\s:]* | [#№] \s* )?
    \Z
    """
)
_PHONE_WORD = re.compile(
    r"""(?ix) (?<!\w)
    (?: tel | telefon\w* | phone\w* | mob | mobiil\w* | mobile | gsm | helista\w* | call
      | тел | телефон\w* | моб | мобильн\w* | звон\w* )
    \.? \s+ \Z
    """
)
_WINDOW = 40


def labelled_as_reference(text: str, start: int) -> bool:
    """Whether the words right before ``text[start]`` label it as a non-personal number.

    A phone word right before the label makes the label a possessive (``телефон
    клиента``, the client's phone), so the number is a phone after all.
    """
    before = text[max(0, start - _WINDOW) : start]
    label = _LABEL.search(before)
    return label is not None and _PHONE_WORD.search(before, 0, label.start()) is None
