"""The seat roster as a file: export to CSV or XLSX, import back all or nothing.

Columns: province_code (ISO 3166-2:TH, empty for a central seat), role_code, name, position, email, and
optionally substitute_name, substitute_position, substitute_email. Exports add province_name and role_title
for the reader; an import ignores them. Only province_code and role_code are required columns: an import
changes only the columns the file has, so a file of codes and e-mail addresses updates the addresses alone.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from meetcore import signals
from meetcore.auth.permissions import require_editor
from meetcore.directory.reference import ISO_PREFIX
from meetcore.errors import InvalidInput
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.plaintext import without_control_characters
from meetcore.schemas import _flatten
from meetcore.seats.models import Seat
from meetcore.seats.schemas import RosterRow
from meetcore.seats.services import (
    SEAT_DETAIL_FIELDS,
    _check_roster_open,
    _flush_or_conflict,
    ordered_seats,
    reference_maps,
)

log = logging.getLogger(__name__)

KEY_COLUMNS = ("province_code", "role_code")
COLUMNS = (*KEY_COLUMNS, *SEAT_DETAIL_FIELDS)
INFORMATIONAL_COLUMNS = ("province_name", "role_title")  # written for people, ignored on import
EXPORT_COLUMNS = (*COLUMNS, *INFORMATIONAL_COLUMNS)
MAX_ROWS = 5000
MAX_ERRORS_SHOWN = 100
FORMATS = ("csv", "xlsx")
MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A cell starting with one of these would be a formula in a spreadsheet: exports quote it with "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_SIGNATURE = b"PK\x03\x04"


@dataclass
class RowError:
    row: int
    column: str | None
    message: str

    def text(self) -> str:
        if self.column:
            return str(
                _l(
                    "Row %(row)s, %(column)s: %(message)s",
                    row=self.row,
                    column=self.column,
                    message=self.message,
                )
            )
        return str(_l("Row %(row)s: %(message)s", row=self.row, message=self.message))

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "text": self.text()}


class RosterFileError(InvalidInput):
    """A roster file that was refused as a whole; ``errors`` lists every bad row."""

    code = "invalid_roster_file"

    def __init__(self, message=None, *, errors: list[RowError] | None = None):
        self.errors = errors or []
        details = {"errors": [e.as_dict() for e in self.errors[:MAX_ERRORS_SHOWN]]} if self.errors else None
        super().__init__(message, field="file", details=details)


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


# --- export ----------------------------------------------------------------------------------------------


def _row_values(seat: Seat) -> dict[str, str]:
    province, role = seat.province, seat.role
    values = {
        "province_code": province.code if province else "",
        "role_code": role.code,
        "province_name": province.name_th if province else "",
        "role_title": role.title_th,
    }
    for name in SEAT_DETAIL_FIELDS:
        values[name] = getattr(seat, name) or ""
    return values


def _quote_formula(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _unquote_formula(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def export_filename(meeting: Meeting, fmt: str) -> str:
    return f"roster-{meeting.number}-{meeting.year_be}.{fmt}"


def export_roster(meeting: Meeting, fmt: str, *, by) -> bytes:
    """The whole roster in roster order, as CSV (UTF-8 with BOM, so Excel shows Thai) or XLSX."""
    if fmt not in FORMATS:
        raise InvalidInput(_l("Export as CSV or XLSX."), field="format")
    seats = ordered_seats(meeting, by=by)
    rows = [_row_values(seat) for seat in seats]
    if fmt == "csv":
        return _csv_bytes(rows)
    return _xlsx_bytes(rows)


def _csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_quote_formula(row[column]) for column in EXPORT_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("roster")
    widths = {
        "province_code": 14,
        "role_code": 22,
        "name": 32,
        "position": 44,
        "email": 34,
        "substitute_name": 28,
        "substitute_position": 36,
        "substitute_email": 30,
        "province_name": 20,
        "role_title": 40,
    }
    for index, column in enumerate(EXPORT_COLUMNS):
        sheet.column_dimensions[_column_letter(index)].width = widths.get(column, 20)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: str, font=None) -> WriteOnlyCell:
        item = WriteOnlyCell(sheet, value=without_control_characters(value) if value else None)
        item.data_type = "s" if value else "n"  # text is never a formula, whatever it starts with
        if font is not None:
            item.font = font
        return item

    sheet.append([cell(column, bold) for column in EXPORT_COLUMNS])
    for row in rows:
        sheet.append([cell(row[column]) for column in EXPORT_COLUMNS])
    _reference_sheets(workbook, bold)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _reference_sheets(workbook, bold) -> None:
    """Two more sheets listing the codes an editor may type (an import reads only the first sheet)."""
    provinces, roles = reference_maps()
    sheet = workbook.create_sheet("provinces")
    sheet.append(["province_code", "name_th", "name_en", "region"])
    for province in sorted(provinces.values(), key=lambda p: p.code):
        sheet.append([province.code, province.name_th, province.name_en, province.region])
    sheet = workbook.create_sheet("roles")
    sheet.append(["role_code", "title_th", "title_en", "scope"])
    for role in sorted(roles.values(), key=lambda r: (r.scope != "provincial", r.sort_order, r.code)):
        sheet.append([role.code, role.title_th, role.title_en, role.scope])


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- reading a file --------------------------------------------------------------------------------------


@dataclass
class RosterFile:
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, column → text)


def read_roster_file(filename: str | None, content: bytes) -> RosterFile:
    """The header and rows of a CSV or XLSX roster file; RosterFileError for anything else."""
    name = (filename or "").strip().lower()
    if not content:
        raise RosterFileError(_l("The file is empty."))
    if content.startswith(XLSX_SIGNATURE):
        table = _read_xlsx(content)
    elif name.endswith(".xls") or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(
            _l("Old .xls workbooks cannot be read. Save the file as .xlsx or CSV and try again.")
        )
    elif name.endswith((".xlsx", ".xlsm")):
        raise RosterFileError(_l("The file is not a valid XLSX workbook."))
    elif name.endswith((".csv", ".txt")) or "." not in name:
        table = _read_csv(content)
    else:
        raise RosterFileError(_l("Only CSV and XLSX files can be imported."))
    return _table_to_rows(table)


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise RosterFileError(_l("The file is not a CSV text file."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Thai Windows saves "CSV (Comma delimited)" in the Windows Thai code page.
        return content.decode("cp874")
    except UnicodeDecodeError:
        raise RosterFileError(
            _l("The file's characters could not be read. Save it as “CSV UTF-8” and try again.")
        ) from None


def _read_csv(content: bytes) -> list[list[str]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        return [[_unquote_formula(cell) for cell in row] for row in reader]
    except csv.Error as error:
        raise RosterFileError(
            _l(
                "The CSV file is malformed near line %(line)s: %(error)s",
                line=reader.line_num,
                error=str(error),
            )
        ) from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors on a damaged or foreign zip
        log.info("unreadable XLSX roster: %r", error)
        raise RosterFileError(_l("The file is not a valid XLSX workbook.")) from None
    try:
        if not workbook.worksheets:
            raise RosterFileError(_l("The workbook has no sheet."))
        table = []
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            table.append([_cell_text(value) for value in values])
            if len(table) > MAX_ROWS + 1:
                break
        return table
    except RosterFileError:
        raise
    except Exception as error:
        log.info("unreadable XLSX roster: %r", error)
        raise RosterFileError(_l("The file is not a valid XLSX workbook.")) from None
    finally:
        workbook.close()


def _table_to_rows(table: list[list[str]]) -> RosterFile:
    header_index = next((i for i, row in enumerate(table) if any(cell.strip() for cell in row)), None)
    if header_index is None:
        raise RosterFileError(_l("The file has no rows."))
    header = [cell.strip().lstrip("\ufeff").strip().lower().replace(" ", "_") for cell in table[header_index]]
    while header and not header[-1]:
        header.pop()
    known = set(COLUMNS) | set(INFORMATIONAL_COLUMNS)
    unknown = [name for name in header if name not in known]
    if unknown:
        raise RosterFileError(
            _l(
                "Unknown column “%(name)s”. The columns are: %(columns)s.",
                name=unknown[0] or "",
                columns=", ".join(COLUMNS),
            )
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise RosterFileError(_l("The column “%(name)s” appears twice.", name=duplicates[0]))
    missing = [name for name in KEY_COLUMNS if name not in header]
    if missing:
        raise RosterFileError(
            _l(
                "The file has no “%(name)s” column. The first row must name the columns: %(columns)s.",
                name=missing[0],
                columns=", ".join(COLUMNS),
            )
        )
    rows = []
    for offset, cells in enumerate(table[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name in COLUMNS
        }
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            rows.append((offset, {**values, "__extra__": extra[0]}))
        else:
            rows.append((offset, values))
    if len(rows) > MAX_ROWS:
        raise RosterFileError(_l("The file has more than %(n)s rows.", n=MAX_ROWS))
    return RosterFile(columns=[name for name in header if name in COLUMNS], rows=rows)


# --- import ----------------------------------------------------------------------------------------------


@dataclass
class _ValidRow:
    number: int
    province_id: int | None
    role_id: int
    values: dict


def _validate_rows(roster: RosterFile) -> tuple[list[_ValidRow], list[RowError]]:
    """Every row checked, every error of every row collected (in column order); the valid rows."""
    provinces, roles = reference_maps()
    schema = RosterRow()
    valid: list[_ValidRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int | None, int], int] = {}
    for number, raw in roster.rows:
        if "__extra__" in raw:
            errors.append(
                RowError(number, None, gettext("This row has more cells than the header has columns."))
            )
            continue
        row_errors: list[RowError] = []

        def refuse(column: str | None, message) -> None:
            row_errors.append(RowError(number, column, str(message)))  # noqa: B023

        try:
            values = schema.load(raw)
        except ValidationError as error:
            values = error.valid_data if isinstance(error.valid_data, dict) else {}
            for column, message in _flatten(error.messages).items():
                refuse(column if column != "_schema" else None, message)
        province_code, role_code = values.get("province_code"), values.get("role_code")
        if province_code and province_code.isdigit():
            province_code = ISO_PREFIX + province_code  # "50" typed for "TH-50"
        role = roles.get(role_code) if role_code else None
        province = provinces.get(province_code) if province_code else None
        if role_code and role is None:
            refuse("role_code", _l("“%(code)s” is not a known role code.", code=role_code))
        if province_code and province is None:
            refuse("province_code", _l("“%(code)s” is not a known province code.", code=province_code))
        if role is not None and role.scope == "provincial" and not province_code:
            refuse("province_code", _l("“%(code)s” is a provincial role: give the province.", code=role.code))
        if role is not None and role.scope == "central" and province_code:
            refuse(
                "province_code", _l("“%(code)s” is a central role: leave the province empty.", code=role.code)
            )
        if not row_errors and role is not None:
            key = (province.id if province else None, role.id)
            if key in seen:
                refuse("role_code", _l("Same province and role as row %(row)s.", row=seen[key]))
            else:
                seen[key] = number
                details = {name: values.get(name) for name in roster.columns if name in SEAT_DETAIL_FIELDS}
                valid.append(_ValidRow(number, key[0], key[1], details))
        errors.extend(
            sorted(row_errors, key=lambda e: COLUMNS.index(e.column) if e.column in COLUMNS else -1)
        )
    return valid, errors


def _summary(errors: list[RowError]):
    if len(errors) == 1:
        return _l("Nothing was imported. %(error)s", error=errors[0].text())
    return _l(
        "Nothing was imported: the file has %(n)s errors. %(error)s", n=len(errors), error=errors[0].text()
    )


def import_roster(meeting: Meeting, filename: str | None, content: bytes, *, by) -> ImportResult:
    """Check every row, then add or update seats by (province, role) in one transaction; all or nothing.

    Seats that are not in the file are left as they are. Importing the file an export made changes nothing.
    """
    require_editor(by)
    _check_roster_open(meeting)
    roster = read_roster_file(filename, content)
    valid, errors = _validate_rows(roster)
    if errors:
        raise RosterFileError(_summary(errors), errors=errors)
    existing = {
        (seat.province_id, seat.role_id): seat
        for seat in db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id))
    }
    created: list[Seat] = []
    updated: list[Seat] = []
    unchanged = 0
    for row in valid:
        seat = existing.get((row.province_id, row.role_id))
        if seat is None:
            seat = Seat(meeting_id=meeting.id, province_id=row.province_id, role_id=row.role_id, **row.values)
            created.append(seat)
            continue
        changed = [name for name, value in row.values.items() if getattr(seat, name) != value]
        for name in changed:
            setattr(seat, name, row.values[name])
        if changed:
            updated.append(seat)
        else:
            unchanged += 1
    if created or updated:
        db.session.add_all(created)
        _flush_or_conflict(_l("Someone else changed the roster at the same moment. Import the file again."))
        record_event(
            meeting,
            "seats.imported",
            {
                "created_seat_ids": [s.id for s in created],
                "updated_seat_ids": [s.id for s in updated],
                "unchanged": unchanged,
                "columns": roster.columns,
            },
            by=by,
        )
        if created:
            signals.roster_changed.send(meeting, province_ids={seat.province_id for seat in created}, by=by)
    return ImportResult(created=len(created), updated=len(updated), unchanged=unchanged)
