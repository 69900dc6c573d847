"""The reports' typeface: Source Sans Pro, an embedded Unicode TTF.

reportlab's built-in Helvetica covers Latin-1 only and is not embedded, so
names in Greek or Cyrillic would come out as black boxes. Source Sans Pro
(SIL Open Font License) covers Latin, Greek and Cyrillic and comes from the
``font-source-sans-pro`` package, not from this repository.
"""

from pathlib import Path

import font_source_sans_pro
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "SourceSansPro"
BOLD = "SourceSansPro-Bold"
ITALIC = "SourceSansPro-Italic"
BOLD_ITALIC = "SourceSansPro-BoldItalic"

_FILES = {
    REGULAR: "SourceSansPro-Regular.ttf",
    BOLD: "SourceSansPro-Bold.ttf",
    ITALIC: "SourceSansPro-It.ttf",
    BOLD_ITALIC: "SourceSansPro-BoldIt.ttf",
}


def register() -> str:
    """Register the family with reportlab (once per process) and return the regular face's name.

    ``<b>`` and ``<i>`` in paragraphs then pick the bold and italic faces.
    """
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return REGULAR
    folder = Path(font_source_sans_pro.font_directory)
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, folder / filename))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, ITALIC)
    addMapping(REGULAR, 1, 1, BOLD_ITALIC)
    return REGULAR


def covers(text: str) -> bool:
    """Tell whether the regular face has a glyph for every character of ``text``."""
    register()
    glyphs = pdfmetrics.getFont(REGULAR).face.charToGlyph
    return all(ord(ch) in glyphs for ch in text if not ch.isspace())
