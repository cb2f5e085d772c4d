from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.text.normalize import fold, fold_char


def test_digits_of_every_script_become_ascii() -> None:
    assert fold("٣٥٢ ३५२ ３５２ ৩৫২ 𝟑𝟓𝟐").text == "352 352 352 352 352"


def test_invisible_characters_are_removed_and_spaces_unified() -> None:
    assert fold("re\u200bset\u00ad your\u00a0phone\u2009now\u2060").text == "reset your phone now"
    assert fold("a\t\n\u3000b", squeeze=True).text == "a b"


def test_confusable_letters_become_ascii() -> None:
    # Cyrillic а, е, о, р, с; Greek ο; mathematical bold r
    assert fold("fаctоry rеsеt, рhοne, 𝐫eset").text == "factory reset, phone, reset"
    assert fold("FАCTОRY").text == "factory"


def test_accents_and_combining_marks_are_dropped() -> None:
    assert fold("r̲e̲s̲e̲t̲ résumé").text == "reset resume"


def test_markdown_is_stripped_only_when_asked() -> None:
    assert fold("**factory** _reset_ `now` ~~x~~ ||spoiler||", markdown=True, squeeze=True).text == (
        "factory reset now x spoiler"
    )
    assert fold("**bold**").text == "**bold**"


def test_dashes_are_one_dash() -> None:
    assert fold("a\u2013b\u2014c\u2011d").text == "a-b-c-d"


def test_case_is_kept_when_asked() -> None:
    assert fold("ABC", casefold=False).text == "ABC"
    assert fold_char("Ａ", casefold=False) == "A"


def test_positions_map_back_to_the_original() -> None:
    text = "x \u200b３\u00a05\u200d2 y"
    folded = fold(text)
    assert folded.text == "x 3 52 y"
    start = folded.text.index("3")
    end = folded.text.index("2") + 1
    s, e = folded.source_span(start, end)
    assert text[s:e] == "３\u00a05\u200d2"


@given(st.text(max_size=80))
def test_every_folded_character_comes_from_the_original(text: str) -> None:
    folded = fold(text, markdown=True, squeeze=True)
    assert len(folded.origin) == len(folded.text)
    assert list(folded.origin) == sorted(folded.origin)
    for i in range(len(folded.text)):
        assert 0 <= folded.origin[i] < len(text)


@given(st.text(alphabet=st.characters(categories=["Nd"]), max_size=30))
def test_decimal_digits_fold_to_ascii_digits(text: str) -> None:
    assert all(ch in "0123456789" for ch in fold(text).text)


def _per_character(
    text: str, casefold: bool, confusables: bool, digits: bool, markdown: bool
) -> tuple[str, list[int]]:
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if markdown and ch in "*_~`|#>\\":
            continue
        for out in fold_char(ch, casefold, confusables, digits):
            chars.append(out)
            origin.append(i)
    return "".join(chars), origin


@given(
    st.text(alphabet=st.sampled_from("ab Z09*_~`|#>\\\t\n\x7f\x00é—’аοΙ１٣①＊\u200b\u00adßİ🙂"), max_size=40)
    | st.text(max_size=40),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_the_fast_paths_fold_as_character_by_character_folding_does(
    text: str, casefold: bool, confusables: bool, digits: bool, markdown: bool
) -> None:
    """ASCII text and printable-ASCII runs are folded in bulk; the result is what folding each character gives."""
    folded = fold(text, casefold=casefold, confusables=confusables, digits_lookalike=digits, markdown=markdown)
    assert (folded.text, list(folded.origin)) == _per_character(text, casefold, confusables, digits, markdown)
