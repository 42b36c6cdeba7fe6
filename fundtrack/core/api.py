"""The JSON API: one error format, the error-code mapping, pagination helpers."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from apispec import BasePlugin
from flask import current_app, jsonify, render_template, request
from flask_babel.speaklater import LazyString
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from fundtrack.core.errors import DomainError, NotFound, ValidationFailed
from fundtrack.core.i18n import _, _l
from fundtrack.core.schemas import MAX_ID

API_PREFIX = "/api/v1"

#: HTTP status -> stable error code, for errors that are not domain errors
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
}

HTTP_MESSAGES = {
    400: _l("请求格式不正确"),
    401: _l("未登录或令牌无效"),
    403: _l("没有执行此操作的权限"),
    404: _l("记录不存在"),
    405: _l("不支持该请求方法"),
    409: _l("当前状态下不能执行此操作"),
    413: _l("请求内容过大"),
    415: _l("请求内容类型不受支持"),
    422: _l("输入不正确"),
    429: _l("尝试次数过多，请稍后再试"),
    500: _l("服务器内部错误"),
}
#: a page 404 for an address that is no page at all (no route matched), rather than a
#: missing record
UNKNOWN_PAGE = _l("页面不存在")


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(required=True)


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def plain_text(value):
    """``value`` with every lazy translation in it made text, for JSON: lists, tuples and
    dicts (keys too) are walked; strings, numbers and the like are returned as they are."""
    if isinstance(value, dict):
        return {plain_text(key): plain_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_text(item) for item in value]
    if isinstance(value, LazyString):
        return str(value)
    return value


def error_response(status: int, code: str, message: str, details: dict | None = None):
    body = {"code": code, "message": str(message), "details": plain_text(details or {})}
    response = jsonify({"error": body})
    response.status_code = status
    return response


def render_error_page(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def flatten_messages(messages: dict, prefix: str = "") -> dict[str, list]:
    """marshmallow's nested errors as dotted field names: ``declared_uses.0.category``."""
    flat: dict[str, list] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_messages(value, f"{name}."))
        else:
            flat[name] = value
    return flat


class IdConverter(IntegerConverter):
    """``<int:…>`` of every route is a record's id: one beyond what the database can hold
    (``MAX_ID``) names no record, so the URL matches no route (404) instead of reaching the
    database, where it would fail (SQLite) or be compared in vain."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


UNSTORABLE_TEXT = _l("不能包含空字符（\\u0000）或不成对的代理字符")


def is_unstorable(text: str) -> bool:
    """Text no column can hold: a NUL (PostgreSQL refuses it) or a lone UTF-16 surrogate
    (JSON's ``"\\ud800"`` carries one; UTF-8, hence every database driver, cannot encode it)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unstorable_fields(data) -> list[str]:
    """The dotted names (``declared_uses.0.description``) of the strings in a JSON document
    that no column can hold, keys included; iterative, as the document may be deep."""
    found, stack = [], [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if is_unstorable(value):
                found.append(path or "json")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if is_unstorable(str(key)):
                    found.append(name)
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


def _argument_locations() -> set[str]:
    """Where the API view of this request reads its arguments (flask-smorest's
    ``@blp.arguments``): ``json``, ``query``; what it does not read is never looked at."""
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    method = request.method.lower()
    if view_class is not None:
        view = getattr(view_class, method, None) or getattr(view_class, "get", None)
    arguments = getattr(view, "_apidoc", {}).get("arguments", {})
    return {parameter.get("in") for parameter in arguments.get("parameters", [])}


def refuse_unstorable_text() -> None:
    """Before an API view (after authentication, being a blueprint's hook): refuse text that
    would fail in the database (a 500) with a 422 naming the fields, or a 404 for a path."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and is_unstorable(value):
            raise NotFound()
    locations = _argument_locations()
    fields: dict[str, list[str]] = {}
    if locations & {"query", "querystring"}:
        for key, values in request.args.lists():
            if any(is_unstorable(text) for text in (key, *values)):
                fields[key] = [str(UNSTORABLE_TEXT)]
    if "json" in locations:
        fields.update(
            (name, [str(UNSTORABLE_TEXT)])
            for name in unstorable_fields(request.get_json(silent=True))
        )
    if fields:
        raise ValidationFailed(fields=fields)


#: ``@blp.alt_response(403, **FORBIDDEN)``: the caller's role or region does not allow it
FORBIDDEN = {"description": "没有权限（角色或地区不符）", "schema": "Error"}
#: ``@blp.alt_response(404, **NOT_FOUND)``: a record named in the body or query string does
#: not exist or lies outside the caller's region (a record named in the path: see below)
NOT_FOUND = {"description": "所指的记录不存在或不在本地区范围内", "schema": "Error"}


def error_response_doc(description: str) -> dict:
    """An OpenAPI response in fundtrack's error format."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


class CommonErrorsPlugin(BasePlugin):
    """Documents the refusals every operation of a kind can give, whatever its decorators
    say: 400 where it reads a JSON body (which may not be JSON at all), 404 where its path
    names a record (which may not exist, or lie outside the caller's region)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                not_json = "请求内容不是有效的 JSON"  # zh-only: API documentation
                responses.setdefault("400", error_response_doc(not_json))
            if path and "{" in path:
                not_found = "不存在或不在本地区范围内"  # zh-only: API documentation
                responses.setdefault("404", error_response_doc(not_found))


class FundtrackApi(Api):
    """flask-smorest's Api with fundtrack's error format, and HTML error pages off the API."""

    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        # before any blueprint adds its rules: the converters are bound when a rule is added
        app.url_map.converters["int"] = IdConverter
        spec_kwargs = dict(spec_kwargs or {})
        spec_kwargs["extra_plugins"] = [*spec_kwargs.get("extra_plugins", ()), CommonErrorsPlugin()]
        super().init_app(app, spec_kwargs=spec_kwargs)

    def register_blueprint(self, blp, **options):
        # a blueprint's hooks run after the app's, so after authenticate_api_request; the
        # blueprint object outlives an app (tests build several): add the hook only once
        if refuse_unstorable_text not in blp.before_request_funcs.get(None, []):
            blp.before_request(refuse_unstorable_text)
        super().register_blueprint(blp, **options)

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        message = HTTP_MESSAGES.get(status, error.name)
        if not is_api_request():
            if status == 404 and request.url_rule is None:
                message = UNKNOWN_PAGE  # the address itself names no page
            return render_error_page(status, message)
        details: dict = {}
        data = getattr(error, "data", None) or {}
        # webargs puts validation messages under "messages" keyed by location
        messages = data.get("messages")
        if messages:
            fields = {}
            for location, location_messages in messages.items():
                if isinstance(location_messages, dict):
                    fields.update(flatten_messages(location_messages))
                else:  # e.g. {"json": ["Invalid JSON body."]}
                    fields[location] = location_messages
            details["fields"] = fields
        if data.get("message"):
            message = data["message"]
        response = error_response(status, HTTP_CODES.get(status, "http_error"), message, details)
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="fundtrack"'
        return response


def handle_domain_error(error: DomainError):
    if is_api_request():
        return error_response(error.status, error.code, error.message, error.details)
    return render_error_page(error.status, error.message)


def handle_recursion_error(error: RecursionError):
    """JSON nested deeper than the parser can follow is a malformed request, not a crash."""
    if is_api_request():
        return error_response(400, "bad_request", _("请求内容嵌套过深"), {})
    return render_error_page(400, HTTP_MESSAGES[400])


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(RecursionError, handle_recursion_error)


class PageQuerySchema(ma.Schema):
    """``page`` (from 1) and ``per_page`` (1–200, default 50) of a paginated list."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


def paginated(session, stmt, query: dict) -> dict:
    """``{"items", "page", "per_page", "total"}`` for a select statement; two queries."""
    page, per_page = query["page"], query["per_page"]
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def file_response(description: str, *mimetypes: str) -> dict:
    """The OpenAPI ``responses`` entry of a download (``@blp.doc(responses=...)``)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"200": {"description": description, "content": dict.fromkeys(mimetypes, binary)}}


PDF_RESPONSE = file_response("PDF", "application/pdf")


API_EXTENSION = "fundtrack_api"


def register_api(app, *blueprints) -> None:
    """Add a domain's API blueprints to the app's one ``FundtrackApi`` (its OpenAPI document)."""
    api = app.extensions[API_EXTENSION]
    for blp in blueprints:
        api.register_blueprint(blp)
        # the API authenticates by bearer token only, so it needs no CSRF token
        app.extensions["csrf"].exempt(blp)
