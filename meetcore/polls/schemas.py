"""Input shapes of the polls' live commands (docs/protocol.md documents them from these)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from meetcore.polls.models import MAX_OPTIONS, OPTION_MAX, QUESTION_MAX
from meetcore.schemas import InputSchema, TrimmedString

PRESETS = ("yes_no_abstain", "choices")


def _id(label, **kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1), metadata={"label": label}, **kwargs)


class PollCommand(InputSchema):
    meeting_id = _id(_l("Meeting"), required=True)


class PollDraftFields(PollCommand):
    question = TrimmedString(required=True, validate=validate.Length(min=1, max=QUESTION_MAX),
                             metadata={"label": _l("Question")})  # fmt: skip
    preset = fields.String(
        load_default="yes_no_abstain", validate=validate.OneOf(PRESETS),
        metadata={"label": _l("Options"), "description": "yes_no_abstain, or choices (the options given)"},
    )  # fmt: skip
    options = fields.List(
        TrimmedString(validate=validate.Length(min=1, max=OPTION_MAX)),
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_OPTIONS),
        metadata={"label": _l("Options"), "description": "the choices' labels when preset is choices"},
    )  # fmt: skip
    max_choices = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=MAX_OPTIONS),
                                 metadata={"label": _l("Choices per voter")})  # fmt: skip
    secret = fields.Boolean(load_default=False, metadata={"label": _l("Secret ballot")})
    results_live = fields.Boolean(
        load_default=False,
        metadata={"label": _l("Show the tally to the chair while the poll is open"),
                  "description": "open polls only"},
    )  # fmt: skip
    role_codes = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), load_default=None, allow_none=True,
        metadata={"label": _l("Roles that vote"), "description": "role codes; null: every seat present"},
    )  # fmt: skip


class PreparePollInput(PollDraftFields):
    """The secretariat prepares a poll on an agenda item (a draft, shown to the staff only)."""

    item_id = _id(_l("Agenda item"), required=True)


class UpdatePollInput(PollDraftFields):
    """A draft's question and options, replaced whole."""

    poll_id = _id(_l("Poll"), required=True)


class PollInput(PollCommand):
    """Open, close or delete (a draft) a poll; my_ballots reads the seats' own ballots."""

    poll_id = _id(_l("Poll"), required=True)


class MyBallotsInput(PollCommand):
    pass


class ReceiptInput(InputSchema):
    choices = fields.List(fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_OPTIONS)),
                          required=True)  # fmt: skip
    receipt = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VoteInput(PollCommand):
    """A seat votes for itself (seat_id may be left out); a provincial hall for each role ticked present.

    previous: to change a secret vote, the receipt the earlier vote's acknowledgement gave (with its
    choices); the server keeps no record of what the seat chose.
    """

    poll_id = _id(_l("Poll"), required=True)
    seat_id = _id(_l("Seat"), load_default=None, allow_none=True)
    choices = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_OPTIONS - 1)),
        required=True, validate=validate.Length(min=1, max=MAX_OPTIONS),
        metadata={"label": _l("Choices"), "description": "the chosen options' indexes"},
    )  # fmt: skip
    previous = fields.Nested(ReceiptInput, load_default=None, allow_none=True)
