"""/api/v1 seat endpoints (being written)."""

from meetcore.api import api_blueprint

blp = api_blueprint("seats_api", __name__, "Seat roster")
