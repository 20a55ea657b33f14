"""Screen and window sharing (issue 16, item 3): the chair, the secretariat (the studio) and whoever holds
the floor share a screen, a window or a tab as a second publisher in the meeting's VideoRoom, under a
participant id of its own (services.share_id), which every page shows as the main content.

* The service decides who may share, the same rule as who may publish (services.may_publish): a seat (or
  its provincial hall) without the floor is refused here, before it reaches Janus.
* One shared content at a time: a new share ends the others at Janus (the studio takes the screen back
  from a speaker, a speaker from the studio).
* A share ends when the floor moves on: services.enforce_floor treats a share like its owner's publisher
  (after every floor change, and in the continuous check of floor_watch), so a share that outlives its
  owner's turn is kicked at Janus, whatever the page does.

Nothing is written: the share exists at Janus only, and pages learn of it from Janus's own publisher
events. Janus first, never across an open write transaction.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from meetcore.errors import Conflict, InvalidInput, PermissionDenied
from meetcore.meetings.models import Meeting
from meetcore.video import services, sessions
from meetcore.video.janus_api import JanusError


class MayNotShare(PermissionDenied):
    code = "video_may_not_share"
    default_message = _l("Only the chair, the secretariat and whoever has the floor can share a screen.")


def _shares_in_room(meeting: Meeting) -> list[int]:
    ids = [participant.get("id") for participant in services.participants(meeting)]
    return [pid for pid in ids if isinstance(pid, int) and services.share_owner(pid) is not None]


def start_share(meeting: Meeting, *, by, session) -> dict:
    """The page of `by` is about to share its screen: check that it may, end every other share (one shared
    content at a time, and this endpoint's own earlier share), and tell the page its share's id and name."""
    session = sessions.check_session(session)
    if session is None:
        raise InvalidInput(field="session")
    endpoint = services.endpoint_of(by, meeting)
    room = sessions.open_room(meeting)
    if meeting.status != "live" or room is None:
        raise Conflict(_l("There is no video in this meeting now."))
    if endpoint.kind != "studio" and sessions.is_superseded(meeting, endpoint, session):
        raise sessions.VideoSuperseded()
    if not services.may_publish(endpoint, meeting):
        raise MayNotShare()
    try:
        services.kick(room, _shares_in_room(meeting))
    except JanusError as error:
        raise services.VideoUnavailable() from error
    return {"share_id": services.share_id(endpoint), "display": endpoint.display}
