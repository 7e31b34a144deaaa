"""Text people type: one cleaning for one-line fields (names, titles, places, searches) and one
for free text, used as the WTForms filters of every text field (tests/security/edges checks it).

What goes: control characters; bidi embeddings, overrides, isolates and marks (U+202A–202E,
U+2066–2069, LRM, RLM, ALM: "Dr. Eve \\u202etsilaicepS\\u202c" would read "Dr. Eve Specialist");
zero-width and other format characters (ZWSP, word joiner, BOM, soft hyphen, invisible operators,
tags); private-use, unassigned and surrogate code points; the Hangul fillers that make a blank
"letter". A one-line value also has every run of spaces (any kind, line breaks included) made
one space, and its ends trimmed. Everything is NFC-normalized.

What stays: every script's letters, marks and punctuation (Chinese, Japanese, Korean, Thai,
Arabic, Hebrew, Devanagari, …) — the bidi algorithm orders Arabic and Hebrew by itself, without
controls. Two format characters are part of some scripts' spelling, so they stay where they
mean something (the context rules of IDNA, RFC 5892 appendix A, simplified):
  - ZERO WIDTH JOINER and NON-JOINER right after a virama (Devanagari क्‍ष, Malayalam chillus,
    Sinhala, Tamil…), where they choose the conjunct form;
  - ZERO WIDTH NON-JOINER (and JOINER, and the Mongolian vowel separator) between two letters of
    a joining script (Arabic, Persian می‌خواهم, Syriac, N'Ko, Mongolian, Phags-pa).
Elsewhere (between Latin letters, at an end, inside an emoji sequence) they go too."""
import unicodedata

ZWNJ, ZWJ, MVS = "\u200c", "\u200d", "\u180e"
CONTEXTUAL = {ZWNJ, ZWJ, MVS}
DROPPED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}  # controls, format, private use, surrogates, unassigned
INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}  # Hangul fillers
VIRAMA = 9  # canonical combining class
JOINING_SCRIPTS = (
    (0x0600, 0x06FF), (0x0700, 0x074F), (0x0750, 0x077F), (0x07C0, 0x07FF), (0x0860, 0x086F),
    (0x0870, 0x089F), (0x08A0, 0x08FF), (0x1800, 0x18AF), (0xA840, 0xA87F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
)
LINE_BREAKS = {"\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}


def clean_line(value):
    """A one-line value (a name, a title, a place, a search) as it may be stored and shown."""
    if value is None:
        return None
    text = _visible(unicodedata.normalize("NFC", str(value)))
    return " ".join(text.split())


def clean_text(value):
    """Free text (a description, a citation, a discussion in Markdown): as clean_line, but the
    line breaks (as "\\n"), tabs and spaces inside stay, and only the ends are trimmed."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n")
    text = "".join("\n" if c in LINE_BREAKS else c for c in text)
    return "\n".join(_visible(line, keep="\t") for line in text.split("\n")).strip()


def _visible(text, keep=""):
    kept = []
    for i, character in enumerate(text):
        if character in keep or character == " ":
            kept.append(character)
        elif character in LINE_BREAKS or character == "\t" or unicodedata.category(character) in ("Zs", "Zl", "Zp"):
            kept.append(" ")
        elif character in CONTEXTUAL:
            if _joins(text, i):
                kept.append(character)
        elif character in INVISIBLE_LETTERS or unicodedata.category(character) in DROPPED_CATEGORIES:
            continue
        else:
            kept.append(character)
    return "".join(kept)


def _joins(text, i):
    """Whether the ZWJ, ZWNJ or MVS at text[i] is part of the spelling (see the module's notes)."""
    if i == 0:
        return False
    if text[i] != MVS and unicodedata.combining(text[i - 1]) == VIRAMA:
        return True
    before, after = _letter(text, i, -1), _letter(text, i, +1)
    return before is not None and after is not None and _in_joining_script(before) and _in_joining_script(after)


def _letter(text, i, step):
    """The nearest character before (step -1) or after (+1) text[i] that is not a mark or another
    joiner, if it is a letter."""
    j = i + step
    while 0 <= j < len(text) and (unicodedata.category(text[j]).startswith("M") or text[j] in CONTEXTUAL):
        j += step
    if 0 <= j < len(text) and unicodedata.category(text[j]).startswith("L"):
        return text[j]
    return None


def _in_joining_script(character):
    code = ord(character)
    return any(low <= code <= high for low, high in JOINING_SCRIPTS)
