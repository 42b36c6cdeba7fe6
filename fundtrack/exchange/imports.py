"""Excel import of allocation tables and payment batches: all rows or none.

Every row goes through its kind's operation (``contract.KINDS``), in one transaction, in the
order of the sheet, so a batch is checked as a whole (the tenth row sees the money the first
nine reserved). When any row fails, the caller rolls back and the user gets every row's
errors: as a table, and as the same workbook with an error column (``xlsx``). Operations
flush, never commit.
"""

from __future__ import annotations

from fundtrack.core.errors import DomainError
from fundtrack.core.i18n import _
from fundtrack.core.versioning import fixed_action
from fundtrack.exchange.contract import ImportKind, ImportResult, RowError
from fundtrack.exchange.errors import ImportRejected
from fundtrack.exchange.xlsx import _parse_row, read_rows
from fundtrack.ledger.checks import batch, lock_batch


def run_import(session, user, kind: ImportKind, data: bytes, filename: str) -> ImportResult:
    """Create every row of the workbook, or raise ``ImportRejected`` with every row's
    errors (the caller then rolls back: nothing of the batch stays)."""
    header, rows = read_rows(kind, data)
    if not rows:
        message = _("工作簿中没有数据行")
        raise ImportRejected(message, file=[message])
    errors: list[RowError] = []
    parsed: list[tuple[int, dict]] = []
    for number, cells in rows:
        values, row_error = _parse_row(kind, header, number, cells)
        if row_error is not None:
            errors.append(row_error)
        else:
            parsed.append((number, values))
    result = ImportResult(kind)
    lookups = kind.prepare(session, user, [values for _, values in parsed])
    labels = {c.key: c.label for c in kind.columns}
    action = f"Excel 导入{kind.title}「{filename[:100]}」，{len(rows)} 行"  # zh-only: stored
    with fixed_action(session, action), batch(session):
        # every balance row the sheet moves, locked at once in key order: two imports
        # never wait for each other in a circle, and no other region waits for this one
        lock_batch(
            session,
            [move for _, values in parsed for move in kind.touches(user, values, lookups)],
        )
        for number, values in parsed:
            try:
                result.created.append(kind.create(session, user, values, lookups))
            except DomainError as exc:
                errors.append(_row_error(number, exc, labels))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(
            _(
                "导入未执行：%(errors)s 行有错误，整批 %(rows)s 行均未写入",
                errors=len(errors),
                rows=len(rows),
            ),
            rows=[e.as_dict() for e in errors],
            row_count=len(rows),
        )
    return result


def _row_error(number: int, exc: DomainError, labels: dict[str, str]) -> RowError:
    fields = {}
    for name, messages in (exc.details.get("fields") or {}).items():
        label = labels.get(name) or labels.get(_FIELD_ALIASES.get(name, ""), name)
        fields[label] = (
            [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
        )
    messages = [] if fields and exc.message == str(type(exc).default_message) else [exc.message]
    return RowError(number, exc.code, messages, fields)


#: operation field names that differ from the import's column keys
_FIELD_ALIASES = {"beneficiary_id": "payee_id_number", "to_region_code": "to_region"}
