"""The bus described as an AsyncAPI 3.0 document, generated, never written by hand."""

from bus.asyncapi.document import asyncapi_document
from bus.asyncapi.topics import Carriage, carriages

__all__ = ["Carriage", "asyncapi_document", "carriages"]
