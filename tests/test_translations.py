"""Every string a user reads goes through Flask-Babel, and English has all of them.

The guards read the sources: Chinese text in a template outside ``_()``, or in a Python string
outside ``_()``/``_l()``, fails here unless it is a document that stays Chinese (PDF templates,
spreadsheet and bank-file columns, demo data) or a line marked ``# zh-only`` (text stored in
the records, such as audit reasons, which must not depend on the writer's language).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import i18n  # noqa: E402

CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}
#: Chinese by design: official documents and exchange formats, demo and reference data
CHINESE_TEMPLATES = ("pdf/",)
CHINESE_MODULES = {
    "fundtrack/demo.py": "demo data of the 2018 report",
    "fundtrack/movements.py": "the list of money movements, documentation as DESIGN.md is",
    "fundtrack/allocations/notices.py": "the allocation notice, an official document",
    "fundtrack/audit/packet.py": "the audit packet PDF",
    "fundtrack/evaluations/reports.py": "the evaluation report PDF",
    "fundtrack/reports/pdf.py": "PDF rendering",
    "fundtrack/exchange/exports.py": "spreadsheet columns of the exports",
    "fundtrack/exchange/tables.py": "spreadsheet writing",
    "fundtrack/exchange/bankfiles.py": "the bank's file format",
}
#: keyword arguments that document the API (OpenAPI text), not pages
DOC_KEYWORDS = {"description", "summary", "help", "example"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_every_message_has_english():
    catalog = i18n.read_catalog()
    missing = {
        msgid: where[0]
        for msgid, where in i18n.extracted().items()
        if catalog.get(msgid) is None or not catalog.get(msgid).string
    }
    assert not missing, f"run `python scripts/i18n.py update` and translate: {missing}"


def test_compiled_catalogue_is_current():
    def entries(catalog) -> dict:
        return {m.id: m.string for m in catalog if m.id}

    with i18n.MO.open("rb") as handle:
        compiled = read_mo(handle)
    assert entries(compiled) == entries(i18n.read_catalog()), "run `python scripts/i18n.py update`"


def test_translations_keep_their_placeholders():
    wrong = {
        m.id: m.string
        for m in i18n.read_catalog()
        if isinstance(m.id, str)
        and m.string
        and set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(m.string))
    }
    assert not wrong


def _template_chinese(source: str) -> list[str]:
    tree = Environment(extensions=["jinja2.ext.i18n"]).parse(source)
    translated = set()
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT_NAMES:
            translated.update(id(arg) for arg in call.find_all(nodes.Const))
    found = [n.data for n in tree.find_all(nodes.TemplateData) if CHINESE.search(n.data)]
    found += [
        n.value
        for n in tree.find_all(nodes.Const)
        if isinstance(n.value, str) and CHINESE.search(n.value) and id(n) not in translated
    ]
    return [text.strip() for text in found]


@pytest.mark.parametrize(
    "template",
    sorted(
        str(p.relative_to(ROOT / "templates"))
        for p in (ROOT / "templates").rglob("*.html")
        if not str(p.relative_to(ROOT / "templates")).startswith(CHINESE_TEMPLATES)
    ),
)
def test_template_text_goes_through_gettext(template):
    assert _template_chinese((ROOT / "templates" / template).read_text(encoding="utf-8")) == []


def _python_chinese(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    lines = source.splitlines()
    exempt: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # a docstring
            exempt.add(id(first.value))
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in GETTEXT_NAMES:
                exempt.update(id(n) for arg in node.args for n in ast.walk(arg))
            for keyword in node.keywords:
                if keyword.arg in DOC_KEYWORDS:
                    exempt.update(id(n) for n in ast.walk(keyword.value))
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in DOC_KEYWORDS:
                    exempt.update(id(n) for n in ast.walk(value))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and CHINESE.search(node.value)
            and id(node) not in exempt
            and not any(
                "# zh-only" in lines[i - 1] for i in range(node.lineno, node.end_lineno + 1)
            )
        ):
            found.append((node.lineno, node.value))
    return found


@pytest.mark.parametrize(
    "module",
    sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "fundtrack").rglob("*.py")
        if str(p.relative_to(ROOT)) not in CHINESE_MODULES
    ),
)
def test_python_text_goes_through_gettext(module):
    assert _python_chinese((ROOT / module).read_text(encoding="utf-8")) == []


def test_the_guards_catch_untranslated_text():
    assert _template_chinese("<p>{{ _('首页') }}</p><p>首页</p>{{ x or '无' }}") == [
        "</p><p>首页</p>",
        "无",
    ]
    assert _python_chinese('x = _("首页")\ny = "支出"\nz = "收回"  # zh-only: stored\n') == [
        (2, "支出")
    ]
