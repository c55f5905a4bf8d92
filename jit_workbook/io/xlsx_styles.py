"""Cell styles with a given number format, found in (or added to) ``xl/styles.xml``.

The part patcher writes every cell of a column with the style of the column's row-2
cell. Some formats follow the Settings instead of the template (money shows the
workbook's ``Currency``) or change from row to row (the Dashboard's counts, money and
percentages in one Value column). :class:`StyleBook` gives, for a cell style and a
format code, the style that is the same in every other way (font, fill, alignment,
borders) but shows that format: an existing one when the workbook has it (the template
makes them, so on a usual run ``styles.xml`` is not touched), else one appended at the
end of ``<cellXfs>`` (and its format at the end of ``<numFmts>``). Existing styles are
never changed, so no other cell of the workbook changes look.

Example::

    book = StyleBook(zin.read("xl/styles.xml"))
    s = book.with_format("3", '"€"#,##0.00')   # style index as text
    new_xml = book.xml()                         # None when nothing was added
"""

from __future__ import annotations

import html
import re

# Excel's built-in number formats by id (ECMA-376 Part 1, 18.8.30), as openpyxl lists them:
# written out here so that writing a sheet does not import openpyxl (a tenth of a second).
BUILTIN_FORMATS = {
    0: 'General',
    1: '0',
    2: '0.00',
    3: '#,##0',
    4: '#,##0.00',
    5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)',
    8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: '0%',
    10: '0.00%',
    11: '0.00E+00',
    12: '# ?/?',
    13: '# ??/??',
    14: 'mm-dd-yy',
    15: 'd-mmm-yy',
    16: 'd-mmm',
    17: 'mmm-yy',
    18: 'h:mm AM/PM',
    19: 'h:mm:ss AM/PM',
    20: 'h:mm',
    21: 'h:mm:ss',
    22: 'm/d/yy h:mm',
    37: '#,##0_);(#,##0)',
    38: '#,##0_);[Red](#,##0)',
    39: '#,##0.00_);(#,##0.00)',
    40: '#,##0.00_);[Red](#,##0.00)',
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
    45: 'mm:ss',
    46: '[h]:mm:ss',
    47: 'mmss.0',
    48: '##0.0E+0',
    49: '@',
}

_BUILTIN_IDS = {code: i for i, code in sorted(BUILTIN_FORMATS.items(), reverse=True)}
_FIRST_CUSTOM_ID = 164  # ids below are Excel's built-in formats
_NUM_FMTS = re.compile(rb"<((?:[\w.-]+:)?)numFmts\b[^>]*?(/?)>")
_NUM_FMT = re.compile(rb"<(?:[\w.-]+:)?numFmt\b([^>]*?)/?>")
_CELL_XFS = re.compile(rb"<((?:[\w.-]+:)?)cellXfs\b([^>]*?)(/?)>")
_XF = re.compile(rb"<((?:[\w.-]+:)?)xf\b([^>]*?)(?:/>|>(.*?)</\1xf>)", re.S)
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_STYLE_SHEET = re.compile(rb"<((?:[\w.-]+:)?)styleSheet\b[^>]*>")


def same_format(a: str | None, b: str | None) -> bool:
    """Whether two format codes show the same: ``"£"#,##0.00`` is LibreOffice's
    ``\\£#,##0.00`` (quoted text and backslash-escaped characters are both literal).

    >>> same_format('"£"#,##0.00', '\\£#,##0.00'), same_format('0.0"%"', '0.0\\%'), same_format('0.0%', '0.0\\%')
    (True, True, False)
    """
    return a is not None and b is not None and _literal(a) == _literal(b)


def _literal(code: str) -> tuple[tuple[str, bool], ...]:
    """A format code as (character, is literal) pairs."""
    out, i, quoted = [], 0, False
    while i < len(code):
        ch = code[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and not quoted and i + 1 < len(code):
            i += 1
            out.append((code[i], True))
        else:
            out.append((ch, quoted))
        i += 1
    return tuple(out)


class StyleBook:
    """The cell styles of one ``styles.xml``, able to add a style with another number format."""

    def __init__(self, xml: bytes):
        self._xml = xml
        self._formats: dict[str, int] = {}  # format code -> numFmtId (custom ones)
        for m in _NUM_FMT.finditer(self._section(_NUM_FMTS)):
            a = _attrs(m.group(1))
            if "numFmtId" in a and "formatCode" in a:
                self._formats.setdefault(a["formatCode"], int(a["numFmtId"]))
        self._xfs: list[bytes] = [m.group(0) for m in _XF.finditer(self._section(_CELL_XFS))]
        self._new_formats: list[tuple[int, str]] = []
        self._new_xfs: list[bytes] = []
        self._cache: dict[tuple[str, str], str] = {}

    def with_format(self, style: str | None, code: str) -> str | None:
        """The index (text) of a style like ``style`` but showing ``code``; ``style`` itself
        when it shows ``code`` already. None when the workbook has no cell styles to copy."""
        key = (style or "0", code)
        if key not in self._cache:
            self._cache[key] = self._find_or_add(int(style or 0), code)
        return self._cache[key]

    def xml(self) -> bytes | None:
        """The new ``styles.xml``, or None when no style had to be added."""
        if not self._new_xfs:
            return None
        xml = self._xml
        if self._new_formats:
            xml = _append(xml, _NUM_FMTS, b"numFmts", b"numFmt", [
                f'<numFmt numFmtId="{i}" formatCode="{html.escape(code, quote=True)}"/>'.encode()
                for i, code in self._new_formats])
        return _append(xml, _CELL_XFS, b"cellXfs", b"xf", self._new_xfs)

    # -- inside -----------------------------------------------------------------------
    def _section(self, pattern: re.Pattern) -> bytes:
        """The inside of ``<numFmts>`` or ``<cellXfs>`` (b"" when absent or empty)."""
        m = pattern.search(self._xml)
        if m is None or m.group(m.lastindex):
            return b""
        name = m.group(0)[1:].split(None, 1)[0].rstrip(b">")
        end = self._xml.find(b"</" + name + b">", m.end())
        return self._xml[m.end(): end if end >= 0 else len(self._xml)]

    def _format_id(self, code: str) -> int:
        if code in _BUILTIN_IDS:
            return _BUILTIN_IDS[code]
        same = next((i for c, i in self._formats.items() if same_format(c, code)), None)
        if same is not None:
            return same
        if code not in self._formats:
            used = list(self._formats.values()) + [_FIRST_CUSTOM_ID - 1]
            self._formats[code] = max(used) + 1
            self._new_formats.append((self._formats[code], code))
        return self._formats[code]

    def _find_or_add(self, index: int, code: str) -> str | None:
        xfs = self._xfs + self._new_xfs
        if not xfs:
            return None
        base = xfs[index] if index < len(xfs) else xfs[0]
        if same_format(_format_code(self, base), code):
            return str(index)
        wanted = _with_attrs(base, numFmtId=str(self._format_id(code)), applyNumberFormat="1")
        for i, xf in enumerate(xfs):
            if _same_xf(xf, wanted):
                return str(i)
        self._new_xfs.append(wanted)
        return str(len(xfs))


def _format_code(book: StyleBook, xf: bytes) -> str | None:
    fmt_id = int(_attrs(_XF.match(xf).group(2)).get("numFmtId", "0") or 0)
    if fmt_id in BUILTIN_FORMATS:
        return BUILTIN_FORMATS[fmt_id]
    return next((c for c, i in book._formats.items() if i == fmt_id), None)


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode(): html.unescape(v.decode("utf-8")) for k, _, v in _ATTR.findall(raw)}


def _with_attrs(xf: bytes, **values: str) -> bytes:
    """``xf`` with attributes set (replaced in place, or added at the end of the tag)."""
    m = _XF.match(xf)
    head = m.group(2)
    for name, value in values.items():
        pattern = re.compile(rb"(\b" + name.encode() + rb"\s*=\s*)([\"'])(.*?)\2")
        if pattern.search(head):
            head = pattern.sub(lambda a: a.group(1) + a.group(2) + value.encode() + a.group(2), head, count=1)
        else:
            head = head.rstrip() + f' {name}="{value}"'.encode()
    return xf[: m.start(2)] + head + xf[m.end(2):]


def _same_xf(a: bytes, b: bytes) -> bool:
    """Same look: the same attributes (``applyNumberFormat`` aside, which writers differ on)
    and the same children (alignment, protection)."""
    ma, mb = _XF.match(a), _XF.match(b)

    def look(m: re.Match) -> dict[str, str]:
        return {k: v for k, v in _attrs(m.group(2)).items() if k != "applyNumberFormat"}

    return look(ma) == look(mb) and (ma.group(3) or b"").strip() == (mb.group(3) or b"").strip()


def _append(xml: bytes, section: re.Pattern, tag: bytes, child: bytes, items: list[bytes]) -> bytes:
    """``xml`` with ``items`` added at the end of a section (created when absent), its
    ``count`` updated."""
    m = section.search(xml)
    root = _STYLE_SHEET.search(xml)
    if root is not None and root.group(1):  # a prefixed styleSheet: its children are too
        items = [b"<" + root.group(1) + i[1:] for i in items]
    if m is None:  # no <numFmts>: it is the styleSheet's first child
        prefix = root.group(1)
        block = b"<" + prefix + tag + f' count="{len(items)}">'.encode() + b"".join(items) + b"</" + prefix + tag + b">"
        return xml[: root.end()] + block + xml[root.end():]
    prefix, found = m.group(1), m.group(0)
    name = prefix + tag
    count_re = re.compile(rb"(\bcount\s*=\s*)([\"'])(\d*)\2")
    if m.group(m.lastindex):  # <numFmts/> or <cellXfs/>
        open_tag = found[:-2].rstrip() + b">"
        body, after = b"", m.end()
        close = b"</" + name + b">"
    else:
        open_tag = found
        close = b"</" + name + b">"
        end = xml.find(close, m.end())
        body, after = xml[m.end(): end], end + len(close)
    total = len(re.findall(rb"<(?:[\w.-]+:)?" + child + rb"\b", body)) + len(items)
    if count_re.search(open_tag):
        open_tag = count_re.sub(lambda c: c.group(1) + c.group(2) + str(total).encode() + c.group(2), open_tag, count=1)
    else:
        open_tag = open_tag[:-1] + f' count="{total}">'.encode()
    return xml[: m.start()] + open_tag + body + b"".join(items) + close + xml[after:]
