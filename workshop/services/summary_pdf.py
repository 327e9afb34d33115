"""The "What we heard" summary as an A4 PDF, drawn with fpdf2 (pure Python) from the summary model.

Font choice: fpdf2's built-in fonts cover latin-1 only, and owners' answers carry names,
dashes and quotes beyond it. DejaVu Sans (Debian's ``fonts-dejavu-core``, installed by
``.ci/run``) is embedded when it is there, so every character prints as typed; without it
the core Helvetica is used and text is transliterated (accents dropped, anything else "?"),
which keeps the PDF readable rather than failing.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from workshop.interview.summary import NOT_ANSWERED, UNKNOWN, Item, Summary, Table

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FAMILY = "DejaVu"


def _latin1(text: str) -> str:
    """Text the core fonts can draw: accents kept where latin-1 has them, dropped otherwise."""
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2018", "'").replace("\u2019", "'")
    text = text.replace("\u0141", "L").replace("\u0142", "l").replace("\u0110", "D").replace("\u0111", "d")
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2026", "...").replace("\u00b7", "-")
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def to_pdf(summary: Summary, *, compress: bool = True, font_dir: Path | None = DEJAVU) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_compression(compress)
    pdf.set_margins(16, 18, 16)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(f"What we heard: {summary.app_name}")
    regular, bold = (font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf") if font_dir else (None, None)
    if regular and bold and regular.is_file() and bold.is_file():
        pdf.add_font(_FAMILY, "", str(regular))
        pdf.add_font(_FAMILY, "B", str(bold))
        family, clean = _FAMILY, (lambda t: t)
    else:
        family, clean = "Helvetica", _latin1
    s = summary
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 10, style: str = "", colour: tuple[int, int, int] = (29, 35, 48)) -> None:
        pdf.set_font(family, style, size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(width, size * 0.5, clean(text), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str, size: float) -> None:
        pdf.ln(3)
        para(text, size, "B")
        y = pdf.get_y() + 0.5
        pdf.set_draw_color(201, 210, 227)
        pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
        pdf.ln(2)

    def table(t: Table) -> None:
        pdf.set_font(family, "", 8.5)
        pdf.set_text_color(29, 35, 48)
        pdf.set_draw_color(201, 210, 227)
        with pdf.table(width=width, line_height=4.2, headings_style=FontFace(emphasis="BOLD", fill_color=(238, 242, 248)),
                       text_align="LEFT") as tb:  # fmt: skip
            for row in [t.headers, *t.rows]:
                r = tb.row()
                for cell in row:
                    r.cell(clean(cell))
        pdf.ln(1)

    def item(i: Item) -> None:
        para(i.prompt, 10, "B")
        if i.unknown:
            para(UNKNOWN, 10, "", (138, 75, 0))
        elif i.table is not None:
            table(i.table)
        elif i.text:
            para(i.text)
        else:
            para(NOT_ANSWERED, 10, "", (107, 114, 128))
        if i.follow_up:
            who = i.follow_up_owner or "someone to name"
            para(f"Follow-up ({who})" + (f": {i.follow_up_note}" if i.follow_up_note else ""), 9, "", (31, 95, 191))
        pdf.ln(2)

    para(f"What we heard: {s.app_name}", 18, "B")
    meta = [f"Workshop of {s.held_on}" if s.held_on else "Workshop", s.questionnaire]
    if s.rereview_of:
        meta.append(f"re-review of {s.rereview_of}")
    para(" - ".join(meta), 10, "", (74, 85, 104))
    pdf.ln(2)
    for label, value in (("Business owner", s.owner), ("Criticality", s.criticality), ("Facilitator", s.facilitator),
                         ("Participants", ", ".join(s.participants)), ("Prepared on", s.prepared_on)):  # fmt: skip
        if value:
            para(f"{label}: {value}")
    pdf.ln(1)
    para("Please read what we understood and correct anything we got wrong.", 10, "", (74, 85, 104))
    for section in s.sections:
        heading(section.title, 13)
        for i in section.items:
            item(i)
    heading("Still to find out", 13)
    if not s.unknowns and not s.follow_ups:
        para("Nothing open.")
    for title, i in s.unknowns:
        para(f"Unknown - {title} - {i.prompt}")
    for title, i in s.follow_ups:
        note = f": {i.follow_up_note}" if i.follow_up_note else ""
        para(f"Follow-up ({i.follow_up_owner or 'someone to name'}) - {title} - {i.prompt}{note}")
    if pdf.will_page_break(60):
        pdf.add_page()
    heading("Sign-off", 13)
    names = s.signatories or [""]
    table(Table(["Name", "Role", "Signature", "Date"], [[n, "", "", ""] for n in names] + [["", "", "", ""]] * 2))
    return bytes(pdf.output())
