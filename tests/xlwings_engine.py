"""An in-memory Excel for tests: an xlwings engine backed by openpyxl.

There is no Excel on the test machines, so this module registers a small engine
through xlwings' own engine interface (``xw.engines.add(xw.Engine(impl=...))``).
Tests drive the *real* xlwings API -- ``xw.Book``, ``Range.value``,
``Range.options(pd.DataFrame, ...)``, the expanders, the converters,
``Table.update`` -- and only the layer that would talk COM to Excel is replaced.

Typical use (or take the ``xl_engine`` pytest fixture)::

    with use_engine() as excel:                 # active engine until the block ends
        book = xw.Book(path)                    # or excel.open(path) / excel.new_book()
        excel.set_caller(book)                  # xw.Book.caller() now returns it
        run_the_button()
        assert excel.value_reads == ["Stock!$A$1:$P$200"]
        assert excel.status_bar_history == ["Planning...", False]
        assert excel.alerts[0]["prompt"] == "Done"
        book.save(tmp_path / "out.xlsx")        # then check it with saved_rows()

Reading behaves like classic xlwings on Windows (``xlwings/_xlwindows.py``):
numbers come back as float, date/time-formatted cells as ``datetime``, empty cells
and "" as None, error cells as pywin32's COM error codes in ``raw_value``, which
the converters turn into None (or "#N/A" etc. with ``err_to_str=True``).  Writing
behaves like Excel's ``Range.Value = ...``: None/"" clears a cell, a str starting
with "=" is a formula, "'text" is text (quote prefix), a cell formatted "@" keeps
any str as text, and other strings are parsed like typed input -- "00123" becomes
123.0, "12%" 0.12, "TRUE" True, "2024-01-31" a date (``engine.parse_strings =
False`` turns that off).  Dates written into General cells get a date format.

Every call into the engine's objects is appended to ``engine.calls`` as
``Call(kind, member, args)``, e.g. ``Call("Range", "raw_value.get",
("Sheet1!$A$1:$D$10",))``: in Excel each would be one COM round trip.
A protected sheet (openpyxl ``ws.protection.sheet = True``) refuses value
writes to locked cells and, unless its protection allows formatting, format
changes and table resizes, raising ``ProtectedSheetError`` as Excel raises a COM
error. Formulas are not calculated: formulas loaded from a file read as the value Excel
cached in it; formulas written in the session read as None.  ``book.api``,
``sheet.api`` and ``table.api`` are the openpyxl Workbook, Worksheet and Table.
Members this engine lacks raise NotImplementedError naming the member.
"""
from __future__ import annotations

import bisect
import datetime as dt
import numbers
import os
import re
from collections import namedtuple
from contextlib import contextmanager
from copy import copy

import openpyxl
import xlwings as xw
from openpyxl.styles import PatternFill
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel, to_excel
from openpyxl.worksheet.table import TableColumn
from xlwings import base_classes

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None
try:
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None

__all__ = ["Call", "ProtectedSheetError", "OpenpyxlEngine", "use_engine", "xl_engine", "saved_rows"]

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
Call = namedtuple("Call", "kind member args")


class ProtectedSheetError(Exception):
    """What Excel (a COM error on Windows) raises when a protected sheet is changed."""

# Excel error values as pywin32 delivers them: 0x800A0000 + Excel's xlErr code.
_XL_ERR = {"#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023,
           "#NAME?": 2029, "#NUM!": 2036, "#N/A": 2042, "#GETTING_DATA": 2043,
           "#SPILL!": 2045, "#CONNECT!": 2046, "#BLOCKED!": 2047, "#UNKNOWN!": 2048,
           "#FIELD!": 2049, "#CALC!": 2050}
ERROR_CODES = {name: code - 2146828288 for name, code in _XL_ERR.items()}
# Only these are translated by xlwings' Windows engine (``cell_errors``); any other
# error code reaches the caller as a plain int, exactly as it does on Windows.
CELL_ERRORS = {code: name for name, code in ERROR_CODES.items() if _XL_ERR[name] <= 2042}

_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?|-?\d{1,3}(,\d{3})+(\.\d*)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_CALC_MODES = ("automatic", "manual", "semiautomatic")
_ALERT_BUTTONS = {None: "ok", "ok": "ok", "ok_cancel": "ok", "yes_no": "yes",
                  "yes_no_cancel": "yes"}
_date_fmt_cache: dict = {}


def _is_date_fmt(fmt):
    if fmt not in _date_fmt_cache:
        _date_fmt_cache[fmt] = bool(fmt) and fmt != "@" and is_date_format(fmt)
    return _date_fmt_cache[fmt]


def _address(r1, c1, r2, c2):
    if c1 == 1 and c2 == MAX_COLUMNS:
        return f"${r1}:${r2}"
    if r1 == 1 and r2 == MAX_ROWS:
        return f"${get_column_letter(c1)}:${get_column_letter(c2)}"
    first = f"${get_column_letter(c1)}${r1}"
    return first if (r1, c1) == (r2, c2) else f"{first}:${get_column_letter(c2)}${r2}"


def _num_text(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _activate(wb, ws):
    wb.active = ws
    for sheet in wb.worksheets:  # else Excel opens the saved file with grouped sheets
        sheet.sheet_view.tabSelected = sheet is ws


def _logged(member, fget):
    """A read-only property that records the call, then returns ``fget(self)``."""

    def get(self):
        self._log(member)
        return fget(self)

    return property(get)


class _Impl:
    """Base for every engine object: knows the engine and logs calls."""

    _kind = "?"

    def _log(self, member, *args):
        self._engine.calls.append(Call(self._kind, member, args))


_KEEP_FROM_XLWINGS = {"expand", "max_cells_per_read", "max_cells_per_write"}


def _explicit_not_implemented(cls):
    """Replace every xlwings base-class member this engine does not provide with
    one that raises NotImplementedError naming the member and this module."""
    ours = [k for k in cls.__mro__ if k.__module__ != base_classes.__name__]
    for base in cls.__mro__:
        if base.__module__ != base_classes.__name__:
            continue
        for name, attr in list(vars(base).items()):
            if (name.startswith("_") or name in _KEEP_FROM_XLWINGS
                    or any(name in vars(k) for k in ours)):
                continue
            message = (f"{cls._kind}.{name} is not implemented by the openpyxl test "
                       "engine (tests/xlwings_engine.py)")

            def fail(*args, _message=message, **kwargs):
                raise NotImplementedError(_message)

            setattr(cls, name, property(fail, fail) if isinstance(attr, property) else fail)
    return cls


class OpenpyxlEngine:
    """The engine impl (``xw.Engine(impl=...)``) plus the helpers tests use."""

    type = "desktop"  # behave like classic xlwings for chunking and scalar writes

    def __init__(self, name="openpyxl"):
        self.name = name
        self.calls: list[Call] = []
        self.alerts: list[dict] = []
        self.alert_responses: list[str] = []  # queued answers; else the first button
        self.parse_strings = True  # Excel parses "123", "12%", "TRUE", "2024-01-31"
        self.apps = _Apps(self)
        self.xw = xw.Engine(impl=self)

    # -- called by xlwings' conversion stages ----------------------------------
    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(v):
            if v is None or (isinstance(v, str) and v == ""):
                return empty_as
            if isinstance(v, dt.datetime):
                return datetime_builder(year=v.year, month=v.month, day=v.day,
                                        hour=v.hour, minute=v.minute, second=v.second,
                                        microsecond=v.microsecond, tzinfo=None)
            if isinstance(v, float):
                return number_builder(v) if number_builder is not None else v
            if isinstance(v, int) and not isinstance(v, bool) and v in CELL_ERRORS:
                return CELL_ERRORS[v] if err_to_str else None
            return v

        return [[clean(v) for v in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        if x is None or (pd is not None and pd.api.types.is_scalar(x) and pd.isna(x)):
            return ""  # None, NaN, NaT, pd.NA: an empty cell
        if pd is not None and isinstance(x, pd.Timestamp):
            return x.to_pydatetime().replace(tzinfo=None)
        if np is not None and isinstance(x, np.datetime64):
            return pd.Timestamp(x).to_pydatetime()
        if isinstance(x, dt.datetime):
            return x.replace(tzinfo=None)  # as xlwings on Windows: tz is cut off
        if np is not None and isinstance(x, np.bool_):
            return bool(x)
        if np is not None and isinstance(x, np.number):
            return float(x)
        return x

    # -- helpers for tests ----------------------------------------------------
    @property
    def app(self):
        """The active app (one is started if every app has quit)."""
        if not self.apps._apps:
            self.apps.add(add_book=False)
        return xw.App(impl=self.apps._apps[0])

    def open(self, path):
        """Open an .xlsx/.xlsm from disk into the active app; returns an ``xw.Book``."""
        return self.app.books.open(path)

    def new_book(self):
        return self.app.books.add()

    def set_caller(self, book):
        """Make ``xw.Book.caller()`` return ``book``: xlwings' own
        ``Book.set_mock_caller()`` hook (``use_engine`` restores the old state)."""
        (book if isinstance(book, xw.Book) else xw.Book(impl=book)).set_mock_caller()

    def count(self, kind=None, member=None):
        return len(self.calls_to(kind, member))

    def calls_to(self, kind=None, member=None):
        return [c for c in self.calls
                if kind in (None, c.kind) and member in (None, c.member)]

    def reset_calls(self):
        self.calls.clear()

    @property
    def value_reads(self):
        """Addresses of ``Range.raw_value`` reads (each is one round trip)."""
        return [c.args[0] for c in self.calls_to("Range", "raw_value.get")]

    @property
    def value_writes(self):
        """(address, shape) of ``Range.raw_value`` writes."""
        return [c.args for c in self.calls_to("Range", "raw_value.set")]

    @property
    def status_bar_history(self):
        return [c.args[0] for c in self.calls_to("App", "status_bar.set")]

    @property
    def screen_updating_history(self):
        return [c.args[0] for c in self.calls_to("App", "screen_updating.set")]

    @property
    def calculation_history(self):
        return [c.args[0] for c in self.calls_to("App", "calculation.set")]

    def __repr__(self):
        return f"<OpenpyxlEngine {self.name}: {len(self.calls)} calls>"


class _Apps(base_classes.Apps):
    def __init__(self, engine):
        self._engine = engine
        self._apps = [_App(engine)]

    def keys(self):
        return [a.pid for a in self._apps]

    def add(self, spec=None, add_book=True, xl=None, visible=None):
        self._apps.insert(0, _App(self._engine, add_book=add_book))
        return self._apps[0]

    def __iter__(self):
        return iter(list(self._apps))

    def __len__(self):
        return len(self._apps)

    def __getitem__(self, pid):
        return next(a for a in self._apps if a.pid == pid)


@_explicit_not_implemented
class _App(_Impl, base_classes.App):
    _kind = "App"
    _next_pid = -1

    def __init__(self, engine, add_book=False):
        self._engine = engine
        self._pid = _App._next_pid
        _App._next_pid -= 1
        self._books = _Books(self)
        self._state = {"screen_updating": True, "status_bar": False,
                       "calculation": "automatic", "display_alerts": True,
                       "enable_events": True, "interactive": True, "visible": True}
        if add_book:
            self._books.add()

    engine = property(lambda self: self._engine)
    books = property(lambda self: self._books)
    pid = property(lambda self: self._pid)
    api = property(lambda self: self)
    version = "16.0"
    hwnd = None
    path = ""
    # What Range.select() selected last (xlwings' App.selection / Book.selection), else None.
    selection = property(lambda self: getattr(self, "_selection", None))

    def _prop(name, check=None):  # noqa: N805 -- property factory used in the body
        def get(self):
            self._log(f"{name}.get")
            return self._state[name]

        def set_(self, value):
            if check:
                check(value)
            self._log(f"{name}.set", value)
            self._state[name] = value

        return property(get, set_)

    def _check_calc(value):  # noqa: N805
        if value not in _CALC_MODES:
            raise KeyError(value)  # as xlwings on Windows (calculation_s2i[value])

    screen_updating = _prop("screen_updating")
    status_bar = _prop("status_bar")
    calculation = _prop("calculation", _check_calc)
    display_alerts = _prop("display_alerts")
    enable_events = _prop("enable_events")
    interactive = _prop("interactive")
    visible = _prop("visible")
    del _prop, _check_calc

    def activate(self, steal_focus=False):
        self._log("activate")

    def calculate(self):
        self._log("calculate")  # formulas are not evaluated, see module docstring

    def alert(self, prompt, title, buttons, mode, callback):
        if buttons not in _ALERT_BUTTONS or mode not in (None, "info", "critical"):
            raise KeyError(buttons if buttons not in _ALERT_BUTTONS else mode)
        self._log("alert", prompt, title, buttons, mode)
        answer = (self._engine.alert_responses.pop(0) if self._engine.alert_responses
                  else _ALERT_BUTTONS[buttons])
        self._engine.alerts.append(dict(prompt=prompt, title=title, buttons=buttons,
                                        mode=mode, answer=answer))
        return answer

    def quit(self):
        self._log("quit")
        for book in list(self._books._books):
            book.close()
        if self in self._engine.apps._apps:
            self._engine.apps._apps.remove(self)

    def kill(self):
        self.quit()


@_explicit_not_implemented
class _Books(_Impl, base_classes.Books):
    _kind = "Books"

    def __init__(self, app):
        self._engine, self.app, self._books, self._active = app._engine, app, [], None

    api = property(lambda self: self)

    active = _logged("active", lambda self: self._active)

    def __call__(self, name_or_index):
        self._log("__call__", name_or_index)
        if isinstance(name_or_index, int):
            return self._books[name_or_index - 1]
        for book in self._books:
            if name_or_index.lower() in (book._name.lower(), book._fullname.lower()):
                return book
        raise KeyError(name_or_index)

    def __len__(self):
        return len(self._books)

    def __iter__(self):
        return iter(list(self._books))

    def _register(self, book):
        self._books.append(book)
        self._active = book
        return book

    def add(self):
        self._log("add")
        taken = {b._name for b in self._books}
        n = next(i for i in range(1, 10_000) if f"Book{i}" not in taken)
        wb = openpyxl.Workbook()
        wb.active.title = "Sheet1"
        return self._register(_Book(self, wb, f"Book{n}", saved=False))

    def open(self, fullname, update_links=None, read_only=None, *args, **kwargs):
        self._log("open", fullname)
        fullname = os.path.realpath(os.fspath(fullname))
        keep_vba = fullname.lower().endswith((".xlsm", ".xltm"))
        wb = openpyxl.load_workbook(fullname, keep_vba=keep_vba)
        cached = {}  # Excel's last calculated value of every formula cell
        formulas = {ws.title: [rc for rc, c in ws._cells.items() if c.data_type == "f"]
                    for ws in wb}
        if any(formulas.values()):
            values = openpyxl.load_workbook(fullname, data_only=True)
            for ws in wb:
                vws = values[ws.title]
                cached[id(ws)] = {rc: (vws.cell(*rc).value, vws.cell(*rc).data_type)
                                  for rc in formulas[ws.title]}
        book = _Book(self, wb, fullname, saved=True, cached=cached)
        book._read_only = bool(read_only)
        return self._register(book)


@_explicit_not_implemented
class _Book(_Impl, base_classes.Book):
    _kind = "Book"

    def __init__(self, books, wb, fullname, saved, cached=None):
        self._engine, self._books_impl, self.wb = books._engine, books, wb
        self._fullname, self._saved, self._read_only = fullname, saved, False
        self._cached = cached or {}  # {id(worksheet): {(row, col): (value, type)}}

    _name = property(lambda self: os.path.basename(self._fullname))
    api = property(lambda self: self.wb)  # the openpyxl Workbook
    app = property(lambda self: self._books_impl.app)
    sheets = property(lambda self: _Sheets(self))

    name = _logged("name", lambda self: self._name)
    fullname = _logged("fullname", lambda self: self._fullname)

    def activate(self):
        self._log("activate")
        self._books_impl._active = self

    def close(self):
        self._log("close")
        books = self._books_impl
        books._books.remove(self)
        if books._active is self:
            books._active = books._books[-1] if books._books else None

    def save(self, path=None, password=None):
        if password:
            raise NotImplementedError("password-protected saving is not supported")
        target = os.fspath(path) if path else (
            self._fullname if self._saved else os.path.join(os.getcwd(), self._name + ".xlsx"))
        self._log("save", target)
        if self._read_only and os.path.realpath(target) == self._fullname:
            raise PermissionError(f"{self._name} was opened read-only: save it elsewhere")
        for ws in self.wb:
            for table in ws.tables.values():
                _Table(self, ws, table)._sync_columns()
        self.wb.save(target)
        self._fullname, self._saved, self._read_only = os.path.realpath(target), True, False


@_explicit_not_implemented
class _Sheets(_Impl, base_classes.Sheets):
    _kind = "Sheets"

    def __init__(self, book):
        self._engine, self.book = book._engine, book

    api = property(lambda self: self.book.wb)

    active = _logged("active", lambda self: _Sheet(self.book, self.book.wb.active))

    def __call__(self, name_or_index):
        self._log("__call__", name_or_index)
        wb = self.book.wb
        if isinstance(name_or_index, int):
            if not 1 <= name_or_index <= len(wb.worksheets):
                raise IndexError(name_or_index)
            return _Sheet(self.book, wb.worksheets[name_or_index - 1])
        for ws in wb.worksheets:
            if ws.title.lower() == name_or_index.lower():
                return _Sheet(self.book, ws)
        raise KeyError(f"No sheet named {name_or_index!r}")  # Excel: a COM error

    def __len__(self):
        return len(self.book.wb.worksheets)

    def __iter__(self):
        return iter([_Sheet(self.book, ws) for ws in self.book.wb.worksheets])

    # Deliberately no __contains__: neither has xlwings' Windows engine, so
    # ``"Plan" in book.sheets`` is always False there. Use ``book.sheet_names``.

    def add(self, before=None, after=None, name=None):
        self._log("add", name)
        wb = self.book.wb
        if name is None:
            taken = {ws.title.lower() for ws in wb.worksheets}
            name = next(f"Sheet{i}" for i in range(1, 10_000) if f"sheet{i}" not in taken)
        if before is not None:
            index = wb.index(before.ws)
        elif after is not None:
            index = wb.index(after.ws) + 1
        else:
            index = wb.index(wb.active)  # Excel inserts before the active sheet
        ws = wb.create_sheet(name, index)
        _activate(wb, ws)
        return _Sheet(self.book, ws)


@_explicit_not_implemented
class _Sheet(_Impl, base_classes.Sheet):
    _kind = "Sheet"

    def __init__(self, book, ws):
        self._engine, self._book, self.ws = book._engine, book, ws

    api = property(lambda self: self.ws)  # the openpyxl Worksheet
    book = property(lambda self: self._book)

    @property
    def name(self):
        self._log("name")
        return self.ws.title

    @name.setter
    def name(self, value):
        self._log("name.set", value)
        self.ws.title = value

    index = _logged("index", lambda self: self._book.wb.index(self.ws) + 1)

    @property
    def visible(self):
        self._log("visible")
        return self.ws.sheet_state == "visible"

    @visible.setter
    def visible(self, value):
        self._log("visible.set", value)
        self.ws.sheet_state = "visible" if value else "hidden"

    def activate(self):
        self._log("activate")
        _activate(self._book.wb, self.ws)

    def select(self):
        self.activate()

    def delete(self):
        self._log("delete", self.ws.title)
        self._book._cached.pop(id(self.ws), None)
        self._book.wb.remove(self.ws)

    def autofit(self, axis=None):
        self._log("autofit", axis)  # layout only: nothing to do without a screen

    def range(self, arg1, arg2=None):
        self._log("range", arg1 if not isinstance(arg1, _Range) else arg1._address,
                  arg2 if not isinstance(arg2, _Range) else arg2._address)
        return self._range(arg1, arg2)

    def _range(self, arg1, arg2=None):
        if isinstance(arg1, tuple) and len(arg1) == 4:
            row, col, nrows, ncols = arg1
            return _Range(self, row, col, row + nrows - 1, col + ncols - 1)
        if isinstance(arg1, int) and isinstance(arg2, int):
            arg1, arg2 = (arg1, arg2), None
        r1, c1, r2, c2 = self._bounds(arg1)
        if arg2 is not None:
            s1, d1, s2, d2 = self._bounds(arg2)
            r1, c1, r2, c2 = min(r1, s1), min(c1, d1), max(r2, s2), max(c2, d2)
        return _Range(self, r1, c1, r2, c2)

    def _bounds(self, arg):
        if isinstance(arg, _Range):
            return arg._r1, arg._c1, arg._r2, arg._c2
        if isinstance(arg, tuple):
            if 0 in arg:
                raise IndexError("Attempted to access 0-based Range. "
                                 "xlwings/Excel Ranges are 1-based.")
            return arg[0], arg[1], arg[0], arg[1]
        text = arg.replace("$", "")
        for scope in (self.ws.defined_names, self._book.wb.defined_names):
            if text in scope:
                (title, text), *_ = list(scope[text].destinations)
                if title != self.ws.title:
                    raise ValueError(f"name {arg!r} refers to sheet {title!r}")
                text = text.replace("$", "")
        try:
            c1, r1, c2, r2 = range_boundaries(text.upper())
        except ValueError:
            raise ValueError(f"invalid address or name {arg!r}") from None
        return (r1 or 1), (c1 or 1), (r2 or MAX_ROWS), (c2 or MAX_COLUMNS)

    cells = _logged("cells", lambda self: _Range(self, 1, 1, MAX_ROWS, MAX_COLUMNS))
    tables = _logged("tables", lambda self: _Tables(self))

    @property
    def used_range(self):
        self._log("used_range")
        keys = self.ws._cells.keys()
        if not keys:
            return _Range(self, 1, 1, 1, 1)
        rows, cols = [k[0] for k in keys], [k[1] for k in keys]
        return _Range(self, min(rows), min(cols), max(rows), max(cols))

    def clear_contents(self):
        self._log("clear_contents")
        self._refuse_if_protected(1, 1, MAX_ROWS, MAX_COLUMNS, "ClearContents")
        for r, c in list(self.ws._cells):
            self._write(r, c, None)

    def _refuse_if_protected(self, r1, c1, r2, c2, member, formatting=False):
        """Excel refuses to change a protected sheet: values of locked cells (every
        cell is locked unless its format says otherwise) and, unless the protection
        allows formatting, any format. COM raises "Unable to set the ... property"."""
        protection = self.ws.protection
        if not protection.sheet:
            return
        if formatting:
            blocked = bool(protection.formatCells)  # True: formatting is not allowed
        else:
            cells = self.ws._cells
            inside = [rc for rc in cells if r1 <= rc[0] <= r2 and c1 <= rc[1] <= c2]
            blocked = (len(inside) < (r2 - r1 + 1) * (c2 - c1 + 1)  # a cell without a format is locked
                       or any(cells[rc].protection.locked for rc in inside))
        if blocked:
            raise ProtectedSheetError(
                f"Unable to set the {member} property of the Range class: the cell or chart "
                f"you're trying to change is on a protected sheet ({self.ws.title})")

    # -- cell level (not logged: one Range call is one round trip) ------------
    def _read(self, r, c):
        cell = self.ws._cells.get((r, c))  # never create cells while reading
        if cell is None:
            return None
        value, kind = cell._value, cell.data_type
        if kind == "f":  # Excel's cached result; None for formulas written here
            value, kind = self._book._cached.get(id(self.ws), {}).get((r, c), (None, "n"))
        if kind == "e":
            return ERROR_CODES.get(value, value)
        if value is None or isinstance(value, (bool, str)):
            return value
        # What COM's Range.Value gives: a date for date/time-formatted cells,
        # a float for every other number.
        date_format = _is_date_fmt(cell.number_format)
        if isinstance(value, (int, float)):
            if not date_format:
                return float(value)
            value = from_excel(value)  # a datetime, or a time for values below 1
        if isinstance(value, dt.timedelta):
            return float(to_excel(value))
        if isinstance(value, (dt.date, dt.time)):
            if not date_format:
                return float(to_excel(value))
            if isinstance(value, dt.time):
                return dt.datetime.combine(dt.date(1899, 12, 30), value)
            if not isinstance(value, dt.datetime):
                return dt.datetime(value.year, value.month, value.day)
            return value
        return str(value)  # rich text

    def _write(self, r, c, v):
        ws = self.ws
        self._book._cached.get(id(ws), {}).pop((r, c), None)
        cell = ws._cells.get((r, c))
        if v is None or (isinstance(v, str) and v == ""):
            if cell is not None:
                cell.value = None
                if not cell.has_style:
                    del ws._cells[(r, c)]
            return
        if cell is None:
            cell = ws.cell(r, c)
            column = ws.column_dimensions.get(get_column_letter(c))
            if column is not None and column.has_style:  # new cells take the column's format
                cell._style = copy(column._style)
        elif cell.has_style and cell.quotePrefix:
            cell.quotePrefix = False  # a new entry replaces the ' prefix
        if isinstance(v, str):
            return self._write_text(cell, v)
        if isinstance(v, dt.date):
            v = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
            if cell.number_format == "General":  # Excel applies a date format
                cell.number_format = "m/d/yyyy" if v.time() == dt.time() else "m/d/yyyy h:mm"
        elif isinstance(v, numbers.Number) and not isinstance(v, (bool, int, float, complex)):
            v = float(v)  # Decimal, numpy scalars written through raw_value
        elif not isinstance(v, (bool, int, float, dt.time, dt.timedelta)):
            raise TypeError(f"Objects of type {type(v).__name__} can not be converted "
                            "to an Excel value")
        cell.value = v

    def _write_text(self, cell, v):
        if v.startswith("'") or cell.number_format == "@":
            if v.startswith("'"):
                v, cell.quotePrefix = v[1:], True
            cell.value = v
            cell.data_type = "s"  # text, even if it looks like a formula or error
            return
        if self._engine.parse_strings and not v.startswith("="):
            if _NUMBER.fullmatch(v):
                number = float(v.rstrip("%").replace(",", ""))
                if v.endswith("%"):
                    number /= 100
                    if cell.number_format == "General":
                        cell.number_format = "0%" if "." not in v else "0.00%"
                cell.value = number
                return
            if v.upper() in ("TRUE", "FALSE"):
                cell.value = v.upper() == "TRUE"
                return
            match = _ISO_DATE.fullmatch(v)  # "2024-01-31", "2024-1-5 9:30", "2026-03"
            if match:
                y, m, d, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
                try:
                    when = dt.datetime(y, m, d or 1, hh, mm, ss)
                except ValueError:
                    pass
                else:
                    return self._write(cell.row, cell.column, when)
        cell.value = v  # openpyxl, like Excel, makes "=..." a formula, "#N/A" an error


@_explicit_not_implemented
class _Range(_Impl, base_classes.Range):
    _kind = "Range"

    def __init__(self, sheet, r1, c1, r2, c2):
        if r1 < 1 or c1 < 1 or r2 > MAX_ROWS or c2 > MAX_COLUMNS:
            raise ValueError("range outside the sheet")
        self._engine, self.sheet = sheet._engine, sheet
        self._r1, self._c1, self._r2, self._c2 = r1, c1, r2, c2
        self.options = {}  # set by xlwings.main.Range

    @property
    def _address(self):
        if self._r2 < self._r1 or self._c2 < self._c1:
            return f"{self.sheet.ws.title}!<empty>"
        return f"{self.sheet.ws.title}!{_address(self._r1, self._c1, self._r2, self._c2)}"

    def _log(self, member, *args):
        super()._log(member, self._address, *args)

    def _cells(self):
        return ((r, c) for r in range(self._r1, self._r2 + 1)
                for c in range(self._c1, self._c2 + 1))

    def _existing(self):
        """Coordinates of the cells openpyxl holds inside this range."""
        return [(r, c) for r, c in self.sheet.ws._cells
                if self._r1 <= r <= self._r2 and self._c1 <= c <= self._c2]

    @property
    def _shape(self):
        return max(0, self._r2 - self._r1 + 1), max(0, self._c2 - self._c1 + 1)

    api = property(lambda self: (self.sheet.ws, self._address))

    @property
    def coords(self):
        return (self.sheet.ws, self._r1, self._c1) + self._shape

    row = _logged("row", lambda self: self._r1)
    column = _logged("column", lambda self: self._c1)
    shape = _logged("shape", lambda self: self._shape)
    address = _logged("address", lambda self: _address(self._r1, self._c1, self._r2, self._c2))

    def __len__(self):
        nrows, ncols = self._shape
        return nrows * ncols

    has_array = property(lambda self: False)

    def get_address(self, row_absolute, col_absolute, external):
        self._log("get_address")
        text = _address(self._r1, self._c1, self._r2, self._c2)
        if not row_absolute:
            text = re.sub(r"\$(\d)", r"\1", text)
        if not col_absolute:
            text = re.sub(r"\$([A-Z])", r"\1", text)
        if external:
            text = f"[{self.sheet._book._name}]{self.sheet.ws.title}!{text}"
        return text

    def __call__(self, *args):
        self._log("__call__", *args)
        if len(args) == 1:
            ncols = self._shape[1]
            row, col = (args[0] - 1) // ncols + 1, (args[0] - 1) % ncols + 1
        else:
            row, col = args
        r, c = self._r1 + row - 1, self._c1 + col - 1
        return _Range(self.sheet, r, c, r, c)

    def expand(self, mode="table"):
        self._log("expand", mode)
        return super().expand(mode)  # xlwings' own expanders: probes + Range.end

    def end(self, direction):
        """Excel's Ctrl+Arrow from the top-left cell."""
        self._log("end", direction)
        direction = {"d": "down", "u": "up", "r": "right", "l": "left"}.get(direction, direction)
        vertical, forward = direction in ("down", "up"), direction in ("down", "right")
        r, c = self._r1, self._c1
        pos, edge = (r, MAX_ROWS) if vertical else (c, MAX_COLUMNS)
        filled = sorted(
            (k[0] if vertical else k[1]) for k, cell in self.sheet.ws._cells.items()
            if (k[1] == c if vertical else k[0] == r) and cell._value not in (None, ""))
        here = set(filled)
        step = 1 if forward else -1
        if pos in here and pos + step in here:  # walk to the end of the block
            while pos + step in here:
                pos += step
        elif forward:  # jump to the next filled cell, or the sheet's edge
            i = bisect.bisect_right(filled, pos)
            pos = filled[i] if i < len(filled) else edge
        else:
            i = bisect.bisect_left(filled, pos)
            pos = filled[i - 1] if i > 0 else 1
        r, c = (pos, c) if vertical else (r, pos)
        return _Range(self.sheet, r, c, r, c)

    @property
    def raw_value(self):
        self._log("raw_value.get")
        nrows, ncols = self._shape
        if nrows * ncols == 0:
            return None
        if nrows * ncols > 5_000_000:
            raise MemoryError(f"refusing to read {nrows}x{ncols} cells in one call")
        read = self.sheet._read
        if (nrows, ncols) == (1, 1):
            return read(self._r1, self._c1)
        cols = range(self._c1, self._c2 + 1)
        return tuple(tuple(read(r, c) for c in cols) for r in range(self._r1, self._r2 + 1))

    @raw_value.setter
    def raw_value(self, data):
        self._write_values(data, "raw_value.set")

    def _write_values(self, data, member):
        # Excel's Range.Value = data: a scalar fills the range; an array is laid
        # over the range from its top-left, cells beyond the array get #N/A.
        rows = None
        if isinstance(data, (list, tuple)):
            two_d = data and isinstance(data[0], (list, tuple))
            rows = [list(r) for r in data] if two_d else [list(data)]
        self._log(member, "scalar" if rows is None else (len(rows), len(rows[0])))
        self.sheet._refuse_if_protected(self._r1, self._c1, self._r2, self._c2, "Value")
        for r, c in self._cells():
            if rows is None:
                v = data
            else:
                i, j = r - self._r1, c - self._c1
                v = rows[i][j] if i < len(rows) and j < len(rows[i]) else "#N/A"
            self.sheet._write(r, c, v)

    @property
    def formula(self):
        self._log("formula.get")
        ws = self.sheet.ws

        def text(r, c):
            cell = ws._cells.get((r, c))
            if cell is None or cell._value is None:
                return ""
            v = cell._value
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, (int, float)):
                return _num_text(v)
            if isinstance(v, (dt.date, dt.time, dt.timedelta)):
                return _num_text(to_excel(v))
            return str(getattr(v, "text", v))

        if self._shape == (1, 1):
            return text(self._r1, self._c1)
        return tuple(tuple(text(r, c) for c in range(self._c1, self._c2 + 1))
                     for r in range(self._r1, self._r2 + 1))

    @formula.setter
    def formula(self, value):
        self._write_values(value, "formula.set")

    formula2 = formula

    @property
    def number_format(self):
        self._log("number_format.get")
        cells = self.sheet.ws._cells
        existing = self._existing()
        formats = {cells[rc].number_format for rc in existing}
        if len(existing) < len(self):
            formats.add("General")  # cells openpyxl doesn't hold are unformatted
        return formats.pop() if len(formats) == 1 else None  # Excel: Null if mixed

    @number_format.setter
    def number_format(self, value):
        self._log("number_format.set", value)
        self.sheet._refuse_if_protected(self._r1, self._c1, self._r2, self._c2, "NumberFormat",
                                        formatting=True)
        if len(self) > 1_000_000:
            raise NotImplementedError("number_format on more than 1,000,000 cells")
        for r, c in self._cells():
            self.sheet.ws.cell(r, c).number_format = value

    def clear_contents(self):
        self._log("clear_contents")
        self.sheet._refuse_if_protected(self._r1, self._c1, self._r2, self._c2, "ClearContents")
        for r, c in self._existing():
            self.sheet._write(r, c, None)

    def clear(self):
        self._log("clear")
        self.sheet._refuse_if_protected(self._r1, self._c1, self._r2, self._c2, "Clear",
                                        formatting=True)
        for rc in self._existing():
            self.sheet._book._cached.get(id(self.sheet.ws), {}).pop(rc, None)
            del self.sheet.ws._cells[rc]

    @property
    def color(self):
        """The fill of the top-left cell as an RGB tuple, None without a solid fill
        (Excel reports the range's Interior.Color)."""
        self._log("color.get")
        cell = self.sheet.ws._cells.get((self._r1, self._c1))
        fill = None if cell is None else cell.fill
        if fill is None or fill.fill_type != "solid" or not isinstance(fill.fgColor.rgb, str):
            return None
        rgb = fill.fgColor.rgb[-6:]
        return tuple(int(rgb[i:i + 2], 16) for i in (0, 2, 4))

    @color.setter
    def color(self, value):
        # As xlwings' Windows engine: a hex string, an RGB tuple, Excel's BGR int, or None.
        self._log("color.set", value)
        self.sheet._refuse_if_protected(self._r1, self._c1, self._r2, self._c2, "Color",
                                        formatting=True)
        if isinstance(value, str):
            value = xw.utils.hex_to_rgb(value)
        elif isinstance(value, int):
            value = xw.utils.int_to_rgb(value)
        fill = (PatternFill(fill_type=None) if value is None else
                PatternFill("solid", fgColor="FF%02X%02X%02X" % tuple(value)))
        if len(self) > 1_000_000:
            raise NotImplementedError("color on more than 1,000,000 cells")
        for r, c in self._cells():
            self.sheet.ws.cell(r, c).fill = fill

    def autofit(self, axis=None):
        self._log("autofit")

    def select(self):
        self._log("select")
        _activate(self.sheet._book.wb, self.sheet.ws)
        self.sheet._book.app._selection = self

    @property
    def table(self):
        self._log("table")
        for table in self.sheet.ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(table.ref)
            if r1 <= self._r1 <= r2 and c1 <= self._c1 <= c2:
                return _Table(self.sheet._book, self.sheet.ws, table)
        return None


@_explicit_not_implemented
class _Tables(_Impl, base_classes.Collection, base_classes.Tables):
    _kind = "Tables"

    def __init__(self, sheet):
        self._engine, self.sheet = sheet._engine, sheet

    def _all(self):
        return [_Table(self.sheet._book, self.sheet.ws, t) for t in self.sheet.ws.tables.values()]

    def __call__(self, key):
        self._log("__call__", key)
        tables = self._all()
        if isinstance(key, int):
            if 1 <= key <= len(tables):
                return tables[key - 1]
        else:
            for table in tables:
                if table.xt.displayName.lower() == key.lower():
                    return table
        raise KeyError(key)

    def __len__(self):
        return len(self.sheet.ws.tables)

    def __iter__(self):
        return iter(self._all())

    def __contains__(self, key):
        return any(t.xt.displayName.lower() == key.lower() for t in self._all())


@_explicit_not_implemented
class _Table(_Impl, base_classes.Table):
    _kind = "Table"

    def __init__(self, book, ws, xt):
        self._engine, self._book, self.ws, self.xt = book._engine, book, ws, xt

    api = property(lambda self: self.xt)  # the openpyxl Table
    parent = property(lambda self: _Sheet(self._book, self.ws))

    def _log(self, member, *args):
        super()._log(member, self.xt.displayName, *args)

    def _box(self):
        c1, r1, c2, r2 = range_boundaries(self.xt.ref)
        return r1, c1, r2, c2

    def _rng(self, r1, r2):
        _, c1, _, c2 = self._box()
        return _Range(self.parent, r1, c1, r2, c2) if r2 >= r1 else None

    @property
    def name(self):
        self._log("name")
        return self.xt.displayName

    @name.setter
    def name(self, value):
        self._log("name.set", value)
        self.ws.tables.pop(self.xt.displayName, None)
        self.xt.displayName = self.xt.name = value
        self.ws.tables[value] = self.xt

    display_name = name
    _headers = property(lambda self: 0 if self.xt.headerRowCount == 0 else 1)
    _totals = property(lambda self: self.xt.totalsRowCount or 0)
    show_headers = _logged("show_headers", lambda self: bool(self._headers))
    show_totals = _logged("show_totals", lambda self: bool(self._totals))
    range = _logged("range", lambda self: self._rng(self._box()[0], self._box()[2]))
    header_row_range = _logged("header_row_range", lambda self: self._rng(
        self._box()[0], self._box()[0]) if self._headers else None)
    data_body_range = _logged("data_body_range", lambda self: self._rng(
        self._box()[0] + self._headers, self._box()[2] - self._totals))
    totals_row_range = _logged("totals_row_range", lambda self: self._rng(
        self._box()[2], self._box()[2]) if self._totals else None)

    def resize(self, range):
        rng = range.impl if hasattr(range, "impl") else range
        self._log("resize", rng._address)
        if self.ws.protection.sheet:
            raise ProtectedSheetError("Resize method of ListObject class failed: the sheet is protected")
        r1, c1, _, _ = self._box()
        if rng.sheet.ws is not self.ws or (self._headers and rng._r1 != r1):
            raise ValueError("Table.resize: the header row must stay in place "
                             "(Excel: 'The header must remain in the same row')")
        if rng._r2 < rng._r1 + self._headers + self._totals - 1 or rng._c2 < rng._c1:
            raise ValueError("Table.resize: range too small")
        ref = _address(rng._r1, rng._c1, rng._r2, rng._c2).replace("$", "")
        self.xt.ref = ref
        if self.xt.autoFilter is not None:
            self.xt.autoFilter.ref = ref
        self._sync_columns()

    def _sync_columns(self):
        """Table column names follow the header cells, as in Excel."""
        r1, c1, _, c2 = self._box()
        old = list(self.xt.tableColumns)
        columns, seen = [], set()
        for i, c in enumerate(range(c1, c2 + 1)):
            name = old[i].name if i < len(old) else ""
            if self._headers:
                cell = self.ws._cells.get((r1, c))
                value = None if cell is None else cell._value
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    name = _num_text(value)
                else:
                    name = "" if value is None else str(value)
            if not name or name.lower() in seen:  # Excel writes ColumnN into the header
                name = next(f"Column{n}" for n in range(i + 1, 10_000)
                            if f"column{n}" not in seen)
                if self._headers:
                    self.ws.cell(r1, c).value = name
            seen.add(name.lower())
            column = copy(old[i]) if i < len(old) else TableColumn(id=i + 1, name=name)
            column.id, column.name = i + 1, name
            columns.append(column)
        self.xt.tableColumns = columns


@contextmanager
def use_engine(engine: OpenpyxlEngine | None = None):
    """Register ``engine`` (a new one by default) with xlwings, make it the active
    engine, and restore the previous active engine and mock caller afterwards."""
    engine = engine or OpenpyxlEngine()
    registry = xw.engines
    previous_active = registry.active
    previous_named = registry.engines_by_name.get(engine.name)
    had_caller = "_mock_caller" in vars(xw.Book)
    previous_caller = vars(xw.Book).get("_mock_caller")
    registry.add(engine.xw)
    engine.xw.activate()
    try:
        yield engine
    finally:
        registry.active = previous_active
        registry.engines.remove(engine.xw)
        if previous_named is None:
            registry.engines_by_name.pop(engine.name, None)
        else:
            registry.engines_by_name[engine.name] = previous_named
        if had_caller:
            xw.Book._mock_caller = previous_caller
        elif "_mock_caller" in vars(xw.Book):
            del xw.Book._mock_caller


try:
    import pytest

    @pytest.fixture
    def xl_engine():
        """A fresh, active test engine for one test."""
        with use_engine() as engine:
            yield engine
except ImportError:  # pragma: no cover
    pass


def saved_rows(path, sheet, data_only=False):
    """The cell values of ``sheet`` in the saved file ``path``, as a list of row lists
    (openpyxl, independent of the engine) -- for asserting what was written."""
    wb = openpyxl.load_workbook(path, data_only=data_only)
    return [list(row) for row in wb[sheet].iter_rows(values_only=True)]
