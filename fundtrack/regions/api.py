"""``/api/v1/regions``: the region tree (public reference data for any logged-in user)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from fundtrack.core.auth import token_required
from fundtrack.extensions import db
from fundtrack.regions.models import Region
from fundtrack.regions.schemas import RegionListSchema, RegionQuerySchema, RegionSchema

blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions", description="行政区划")


@blp.route("")
class Regions(MethodView):
    @blp.arguments(RegionQuerySchema, location="query")
    @blp.response(200, RegionListSchema)
    @blp.alt_response(404, description="上级地区不存在", schema="Error")
    @token_required
    def get(self, query):
        """All regions, or the children of ``parent``."""
        stmt = sa.select(Region).order_by(Region.code)
        if "parent" in query:
            if db.session.get(Region, query["parent"]) is None:
                abort(404)
            stmt = stmt.where(Region.parent_code == query["parent"])
        return {"items": db.session.scalars(stmt).all()}


@blp.route("/<string:code>")
class RegionDetail(MethodView):
    @blp.response(200, RegionSchema)
    @token_required
    def get(self, code):
        region = db.session.get(Region, code)
        if region is None:
            abort(404)
        return region
