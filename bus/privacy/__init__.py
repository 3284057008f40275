"""Personal data in free text: finding identifiers citizens type and replacing them.

Fields a contract marks ``"pii": true`` are pseudonymised whole by the audit
log; free text (``MessageSent.text``, comments, notes) needs its identifiers
found first: Estonian, Latvian, Lithuanian and Finnish personal codes, IBANs
and card numbers (validated by python-stdnum), e-mail addresses and phone
numbers (libphonenumber).
"""

from bus.privacy.finder import find, resolve
from bus.privacy.kinds import Finding, Kind
from bus.privacy.scrubber import Scrubbed, Scrubber

__all__ = ["Finding", "Kind", "Scrubbed", "Scrubber", "find", "resolve"]
