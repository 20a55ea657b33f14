"""The words of the document projector (static/src/video-projector.js), on the live pages and on a
provincial hall's page, translated once per page."""

from __future__ import annotations

from flask_babel import gettext as _


def projector_strings() -> dict[str, str]:
    return {
        "projector_nothing": _("No document is being shown."),
        "projector_loading": _("Loading the document…"),
        "projector_failed": _(
            "The document could not be opened. Reload the page; if it happens again, ask the secretariat."
        ),
        "projector_no_pdf": _("No PDF document is filed under the agenda yet."),
        "projector_choose": _("Document to show"),
        "projector_show": _("Show to everyone"),
        "projector_stop": _("Stop showing"),
        "projector_presenter": _("Presenter's controls"),
        "projector_previous": _("Previous page"),
        "projector_next": _("Next page"),
        "projector_page": _("Page"),
        "projector_page_of": _("Page %(page)s of %(pages)s"),
        "projector_ahead": _("the presenter is on page %(page)s"),
        "projector_by": _("shown by %(name)s"),
        "projector_follow": _("Follow the presenter"),
        "projector_zoom_in": _("Zoom in"),
        "projector_zoom_out": _("Zoom out"),
    }
