"""The data panel's map: where each personal-data field goes, who may read it, for how long."""

from bus.datamap.model import DataMap, Form, Passage, PersonalField, Reader, Topic, data_map

__all__ = ["DataMap", "Form", "Passage", "PersonalField", "Reader", "Topic", "data_map"]
