"""/api/v1/provinces and /api/v1/roles."""

from __future__ import annotations

from meetcore.api import api_blueprint
from meetcore.directory import services
from meetcore.directory.schemas import ProvinceOut, ProvinceQuery, RoleOut, RoleQuery

blp = api_blueprint("directory_api", __name__, "Reference data: provinces and seat roles")


@blp.get("/provinces")
@blp.arguments(ProvinceQuery, location="query")
@blp.response(200, ProvinceOut(many=True))
def provinces(query):
    """The 77 provinces (76 + Bangkok), sorted by name (Thai collation by default)."""
    return services.list_provinces(query["region"], locale=query["lang"])


@blp.get("/roles")
@blp.arguments(RoleQuery, location="query")
@blp.response(200, RoleOut(many=True))
def roles(query):
    """The role catalogue: provincial and central seat kinds."""
    return services.list_roles(query["scope"])
