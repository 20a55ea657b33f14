"""Input shapes of the live minutes and of decisions (socket events; the same schemas document them)."""

from __future__ import annotations

import base64
import binascii

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from meetcore.schemas import InputSchema, TrimmedString

# One update travels in one Socket.IO message (the server takes messages up to 256 KiB).
MAX_UPDATE_BASE64 = 200_000
MAX_DECISION_LENGTH = 20_000

BASE64_MESSAGE = _l("Not valid base64 data.")
TOO_LARGE_MESSAGE = _l("Too large to send at once.")


class Base64Bytes(fields.String):
    """Standard base64 text (RFC 4648, with padding), loaded as the bytes it encodes."""

    def _deserialize(self, value, attr, data, **kwargs) -> bytes:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.metadata.get("max_length", MAX_UPDATE_BASE64):
            raise ValidationError(str(TOO_LARGE_MESSAGE))
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ValidationError(str(BASE64_MESSAGE)) from None


def _id(label) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                          metadata={"label": label})


class BlockCommand(InputSchema):
    meeting_id = _id(_l("Meeting"))
    item_id = _id(_l("Agenda item"))


class MinutesUpdateInput(BlockCommand):
    update = Base64Bytes(required=True, metadata={"label": _l("Update")})


class MinutesSyncInput(BlockCommand):
    """Yjs sync step 1: the client's state vector of the block's document."""

    state_vector = Base64Bytes(required=True, metadata={"label": _l("State vector"), "max_length": 20_000})


class DecisionInput(BlockCommand):
    text = TrimmedString(required=True, validate=validate.Length(max=MAX_DECISION_LENGTH),
                         metadata={"label": _l("Decision")})


class DecisionCommand(InputSchema):
    meeting_id = _id(_l("Meeting"))
    decision_id = _id(_l("Decision"))


class DecisionUpdate(DecisionCommand):
    text = TrimmedString(required=True, validate=validate.Length(max=MAX_DECISION_LENGTH),
                         metadata={"label": _l("Decision")})
