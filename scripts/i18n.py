"""The English catalogue: extract, merge translations, compile, and list what is missing.

    python scripts/i18n.py update [--merge FILE.json ...]   # extract, update en, merge, compile
    python scripts/i18n.py todo [PATH ...]                  # msgids of PATHs with no English yet
                                                            # (in the catalogue or i18n-pending/)

Source strings are the Chinese text (fundtrack/core/i18n.py); only English has a catalogue.
``--merge`` takes JSON objects {"中文原文": "English"} and writes them into the catalogue.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "fundtrack" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = ["-k", "_l"]
METHOD_MAP = [("fundtrack/**.py", "python"), ("templates/**.html", "jinja2")]


def pybabel(*args: str) -> None:
    exe = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(exe), "-q", *args], check=True, cwd=ROOT)


def extracted(paths: list[str] | None = None) -> dict[str, list[str]]:
    """msgid -> files it appears in, read from the sources as pybabel reads them."""
    found: dict[str, list[str]] = {}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHOD_MAP, keywords=keywords
    ):
        if paths and not any(filename.startswith(p.rstrip("/")) for p in paths):
            continue
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def read_catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def update(merge: list[str]) -> None:
    TRANSLATIONS.joinpath("en", "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    pybabel("extract", "-F", "babel.cfg", *KEYWORDS, "--no-location", "--sort-output",
            "--omit-header", "-o", str(POT.relative_to(ROOT)), ".")  # fmt: skip
    with POT.open("rb") as handle:
        template = read_po(handle)
    if PO.exists():
        catalog = read_catalog()
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
    else:
        catalog = Catalog(locale="en")
        catalog.update(template, no_fuzzy_matching=True)
    for path in merge:
        for msgid, text in json.loads(Path(path).read_text(encoding="utf-8")).items():
            message = catalog.get(msgid)
            if message is not None and text:
                message.string = text
                message.flags.discard("fuzzy")
    with PO.open("wb") as handle:
        write_po(handle, catalog, omit_header=True, no_location=True, sort_output=True, width=0)
    catalog = read_catalog()  # compiled from the file as written, as the tests read it
    with MO.open("wb") as handle:
        write_mo(handle, catalog)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(catalog)} messages, {len(missing)} without English")


def pending() -> dict[str, str]:
    """Translations written but not merged yet (i18n-pending/*.json, not committed)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "i18n-pending").glob("*.json")):
        found.update(json.loads(path.read_text(encoding="utf-8")))
    return found


def todo(paths: list[str]) -> None:
    catalog = read_catalog() if PO.exists() else None
    waiting = pending()
    missing = {}
    for msgid, where in extracted(paths).items():
        message = catalog.get(msgid) if catalog is not None else None
        if (message is None or not message.string) and not waiting.get(msgid):
            missing[msgid] = where[0]
    json.dump(missing, sys.stdout, ensure_ascii=False, indent=1)
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("update")
    up.add_argument("--merge", nargs="*", default=[])
    td = sub.add_parser("todo")
    td.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.command == "update":
        update(args.merge)
    else:
        todo(args.paths)


if __name__ == "__main__":
    main()
