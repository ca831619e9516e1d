"""The one error handler: every refusal answers ``{"error": message, "path": …, **details}``.

A ``HotlineError`` carries its own status (crm/domain/errors.py); FastAPI's own refusals (an
unknown route, an invalid request body) are answered in the same shape, and so is a change the
database refuses (a unique or foreign-key constraint): 409 or 422 with a Chinese message, never a
500, and never the SQL or its parameters. A console page opened without a session redirects to
the sign-in form instead. ``error_responses`` documents these answers in the OpenAPI.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from callmodel import fields
from crm.domain.errors import Conflict, HotlineError, InvalidInput, NotSignedIn


class ErrorOut(BaseModel):
    """Every refusal's body; some add fields of their own (``rule``, ``problems``)."""

    model_config = ConfigDict(extra="allow")
    error: str
    path: str


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "请求无法执行（请求体无法解析，或 Asterisk 拒绝了操作）",
    401: "未登录，或服务令牌缺失、错误",
    403: "无权执行此操作",
    404: "所指的记录不存在",
    409: "与热线规则或已有记录冲突",
    416: "请求的录音范围不存在",
    422: "请求内容不正确",
    503: "Asterisk 未响应",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of the refusals a route (or a router) may answer."""
    return {s: {"model": ErrorOut, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


# What every authenticated route may answer: a body that cannot be read, no credentials, no
# right, no such record, a rule or a stored record in the way, a value refused.
API_ERRORS = error_responses(400, 401, 403, 404, 409, 422)
# Routes that ask Asterisk (AMI) as well.
AMI_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 503)

# pydantic's refusals in the staff's language; anything else keeps pydantic's own words.
_PYDANTIC: dict[str, str] = {
    "missing": "必须填写",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "须为文字",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "date_from_datetime_parsing": "须为日期（如 2026-01-31）",
    "date_parsing": "须为日期（如 2026-01-31）",
    "datetime_parsing": "须为时间（如 2026-01-31T08:00:00+08:00）",
    "datetime_from_date_parsing": "须为时间（如 2026-01-31T08:00:00+08:00）",
    "bool_parsing": "须为 true 或 false",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "须为 JSON 对象",
    "dict_type": "须为 JSON 对象",
    "list_type": "须为列表",
}


# The refusals FastAPI and Starlette make themselves, in the staff's language.
_STARLETTE: dict[str, str] = {
    "There was an error parsing the body": "请求体无法解析（须为 UTF-8 编码的 JSON）",
    "Not Found": "没有这个地址",
    "Method Not Allowed": "此地址不接受这种请求方法",
}


# What a text refused by one of the field types' patterns (callmodel/fields.py) may not hold.
_PATTERN_PROBLEMS: dict[str, str] = {
    fields.ONE_LINE: "不能包含换行或其他控制字符",
    fields.LINES: "不能包含控制字符",
    fields.WORD: "不能包含空格、换行或其他控制字符",
}


# The fields people fill in, by their name in a request: a refusal names the field as the form
# does, with the request's own name beside it for a script's author.
_FIELD_NAMES: dict[str, str] = {
    "question": "来电内容",
    "content": "内容",
    "contact_number": "联系电话",
    "caller_name": "来电人姓名",
    "caller_address": "来电人地址",
    "location": "事发地点",
    "target": "投诉/举报对象",
    "body_unit_id": "所涉单位",
    "unit_id": "承办单位",
    "call_type": "来电类型",
    "reason": "原因",
    "result": "答复内容",
    "username": "工号",
    "password": "密码",
    "display_name": "姓名",
    "extension": "坐席分机",
    "q": "检索内容",
}
_WHERE = ("body", "query", "path")


def _where(loc: Any) -> str:
    """Where in the request a refusal is, as a person reads it: ``来电内容（question）``."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in _WHERE:
        parts = parts[1:]
    return ".".join(f"{_FIELD_NAMES[p]}（{p}）" if p in _FIELD_NAMES else p for p in parts)


def _problem(error: Any) -> str:
    where = _where(error["loc"])
    template = _PYDANTIC.get(error["type"])
    pattern = error.get("ctx", {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and pattern in _PATTERN_PROBLEMS:
        said = _PATTERN_PROBLEMS[pattern]
    elif error["type"] == "value_error":
        said = str(error.get("ctx", {}).get("error", error["msg"]))
    elif template is None:
        said = error["msg"]
    else:
        try:
            said = template.format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            said = error["msg"]
    return f"{where}：{said}"


# Unique columns people fill in, by the name the database gives them.
_UNIQUE_LABELS: dict[str, str] = {
    "staff_users.username": "工号",
    "units.code": "单位编码",
    "units.name": "单位名称",
    "special_lines.number": "专线号码",
    "kb_articles.slug": "知识库条目标识",
}


def _unique_column(orig: BaseException | None) -> str:
    """``table.column`` of a unique constraint the database refused, as far as it says."""
    text = str(orig)
    if text.startswith("UNIQUE constraint failed:"):  # SQLite: "… failed: units.code"
        return text.split(":", 1)[1].split(",")[0].strip()
    table = getattr(getattr(orig, "diag", None), "table_name", None)  # PostgreSQL
    key = re.search(r"Key \((\w+)\)", text)
    return f"{table}.{key.group(1)}" if table and key else ""


def integrity_refusal(exc: IntegrityError) -> HotlineError:
    """What the database refused, as the refusal a person can act on: a duplicate (409), or a
    reference to a record that does not exist, or another constraint (422)."""
    state = getattr(exc.orig, "sqlstate", None)  # PostgreSQL's SQLSTATE; SQLite says it in words
    text = str(exc.orig)
    if state == "23505" or text.startswith("UNIQUE constraint failed"):
        label = _UNIQUE_LABELS.get(_unique_column(exc.orig), "记录")
        return Conflict(f"已存在相同的{label}，不能重复保存")
    if state == "23503" or "FOREIGN KEY constraint failed" in text:
        return InvalidInput("所引用的记录（如单位、用户）不存在，请检查编号")
    return InvalidInput("内容不符合数据要求（缺少必填项或取值不允许）")


def _message(exc: Exception) -> HotlineError:
    """Any error the handler receives, as a ``HotlineError``."""
    if isinstance(exc, HotlineError):
        return exc
    if isinstance(exc, RequestValidationError):
        problems = "；".join(_problem(e) for e in exc.errors()[:10])
        return InvalidInput(f"请求内容不正确：{problems}")
    if isinstance(exc, IntegrityError):
        return integrity_refusal(exc)
    assert isinstance(exc, StarletteHTTPException)
    error = HotlineError(_STARLETTE.get(str(exc.detail), str(exc.detail)))
    error.status = exc.status_code
    return error


async def error_response(request: Request, exc: Exception) -> Response:
    """The JSON answer to a refusal (or the sign-in redirect for a page)."""
    path = request.url.path
    if isinstance(exc, NotSignedIn) and not path.startswith(("/web/api", "/api")):
        return RedirectResponse(f"/web/login?next={path}", status_code=303)
    error = _message(exc)
    return JSONResponse(
        status_code=error.status,
        content={"error": error.message, "path": path, **error.details},
    )


def install_error_handler(app: FastAPI) -> None:
    """Route every refusal through ``error_response``."""
    for kind in (HotlineError, StarletteHTTPException, RequestValidationError, IntegrityError):
        app.add_exception_handler(kind, error_response)
