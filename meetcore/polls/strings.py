"""The words of the votes' sections (static/src/live-polls.js), on the live pages and on a provincial hall's
page, translated once per page."""

from __future__ import annotations

from flask_babel import gettext as _


def poll_strings() -> dict[str, str]:
    return {
        "no_polls": _("No vote has been prepared."),
        "poll_state_draft": _("prepared"),
        "poll_state_open": _("voting"),
        "poll_state_closed": _("closed"),
        "poll_kind_open": _("open vote"),
        "poll_kind_secret": _("secret ballot"),
        "votes_cast": _("%(n)s of %(of)s entitled seats have voted"),
        "poll_result": _("Result"),
        "quorum_line": _("Quorum when the vote opened: %(present)s of %(roster)s seats present"),
        "quorum_met": _("(quorum present)"),
        "quorum_not_met": _("(no quorum)"),
        "who_voted": _("Who voted what"),
        "open_poll": _("Open the vote"),
        "close_poll": _("Close the vote"),
        "not_entitled": _("Your seat does not vote in this poll."),
        "you_voted": _("You have voted"),
        "secret_fixed": _("A secret vote can be changed only from the page that cast it."),
        "choose_up_to": _("Choose up to %(n)s"),
        "cast_vote": _("Vote"),
        "prepare_poll": _("Prepare a vote on this item"),
        "poll_question": _("Question"),
        "poll_options_hint": _("Options, one per line (empty: approve, disapprove, abstain)"),
        "choices_per_voter": _("Choices per voter"),
        "results_live": _("Show the tally to the chair while the vote is open"),
        "roles_that_vote": _("Roles that vote (none ticked: every seat present)"),
        "no_polls_open": _("No vote has been opened yet."),
        "close_poll_confirm": _(
            "Close the vote now? %(n)s of %(of)s entitled seats have voted; nobody can "
            "vote after the close, and the result is shown to everyone."
        ),
        "close_poll_yes": _("Yes, close the vote"),
        "change_vote": _("You can change your vote until the vote is closed."),
        "choose_one": _("Choose one"),
        "hall_not_entitled": _("None of this hall's roles votes in this poll."),
        "hall_tick_first": _("Tick this role present in the roll call above to vote for it."),
        "cancel": _("Cancel"),
        "saved": _("Saved."),
    }
