"""A number labelled as an order, case, contract, reference or registry number, or as a code,
is no phone, card or personal code.

Seven- and eight-digit order numbers are valid Estonian phone numbers, one in
ten long numbers passes Luhn and one 11-digit number in a thousand is a
possible personal code, so the words written just before the number decide
(``tellimus nr 7345123``, ``order #51234567``, ``заказ № 6123456``,
``uksekood 4821733``, ``код фирмы 82064604``). Labels are
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
_REFERENCES = {
    "en": r"""order | invoice | ref | reference | case | ticket | booking | tracking | receipt
      | registry | registration | application | contract | customer\ number | client\ number
      | document""",
    "et": r"""tellimus | arve | viite | toimik | asja | kohtuasi | pilet | broneering | taotlus
      | leping | kliendi | menetlus | registri | dokument""",
    "ru": r"""заказ | дел | квитанци | билет | бронировани | накладн | регистрационн | ссылк
      | заявлени | договор | клиентск | сч[её]т | документ""",
}
_CODES = {
    "en": "code | pin | puk | password",
    "et": r"\w*kood | parool",
    "ru": "код | пароль",
}


def _label(words: dict[str, str]) -> re.Pattern[str]:
    return re.compile(
        rf"""(?ix)
        (?<!\w)
        (?:
            (?: {words["en"]} ) (?:'?s)? \.?
          | (?: {words["et"]} ) \w{{0,4}} (?: number | nr | kood )?     # tellimuse, kliendinumber
          | (?: {words["ru"]} ) \w{{0,4}}                               # заказа
            (?: \s+ (?! {_PHONE_WORDS} ) (?-i:[\u0430-\u044f\u0451]) \w* )?   # код фирмы
        )
        [\s:]*
        (?: (?: nr | no | num(?:ber)? | номер ) \.? [\s:]* | [#№] \s* )?
        \Z
        """
    )


_ANY_LABEL = _label({lang: f"{_REFERENCES[lang]} | {_CODES[lang]}" for lang in _REFERENCES})
_REFERENCE_LABEL = _label(_REFERENCES)
_PHONE_WORD_BEFORE = re.compile(rf"(?ix) (?<!\w) {_PHONE_WORDS} \.? \s+ \Z")
_WINDOW = 60


def labelled_as_reference(text: str, start: int, *, or_code: bool = True) -> bool:
    """Whether the words right before ``text[start]`` label it as a non-personal number;
    ``or_code``: a code (``kinnituskood``, ``PIN``) counts too, which it cannot for a
    personal code (``personal code``, ``латвийский код``)."""
    before = text[max(0, start - _WINDOW) : start]
    label = (_ANY_LABEL if or_code else _REFERENCE_LABEL).search(before)
    return label is not None and _PHONE_WORD_BEFORE.search(before, 0, label.start()) is None
