import marshmallow as ma

from fundtrack.core.schemas import list_of


class RegionSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)
    parent = ma.fields.String(attribute="parent_code", allow_none=True, required=True)


class RegionQuerySchema(ma.Schema):
    parent = ma.fields.String(validate=ma.validate.Regexp(r"^\d{6}$"))


RegionListSchema = list_of(RegionSchema, "RegionList")
