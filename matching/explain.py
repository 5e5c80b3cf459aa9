"""Plain-English explanations of pairs."""

__all__ = ["explain_pair", "language_name"]

_LANGUAGES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fr": "French",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pt": "Portuguese",
    "ru": "Russian", "sw": "Swahili", "tr": "Turkish", "zh": "Chinese", "hi": "Hindi",
    "id": "Indonesian", "pl": "Polish", "ca": "Catalan", "el": "Greek", "sv": "Swedish",
}
_LEVEL = {3: "established", 4: "leading"}
_NEED = {1: "low", 2: "medium", 3: "high"}


def language_name(code):
    """English name of an ISO 639-1 code (the code itself when unknown).

    Examples
    --------
    >>> language_name("fr"), language_name("xx")
    ('French', 'xx')
    """
    return _LANGUAGES.get(code, code)


def _join(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def explain_pair(mentor, mentee, areas, label, components):
    """One or two sentences saying why a mentor suits a mentee.

    Parameters
    ----------
    mentor, mentee : Participant
    areas : sequence of str
        Focus areas, best first.
    label : callable
        Area key to readable label.
    components : dict of str to float

    Examples
    --------
    >>> from matching import Participant
    >>> a = Participant(id="a", name="Lyon", country="FR", region="Europe", languages=["fr"],
    ...                 maturity={"open_data": 4}, can_mentor=["open_data"], capacity=1)
    >>> b = Participant(id="b", name="Dakar", country="SN", region="Africa", languages=["fr"],
    ...                 need={"open_data": 3}, wants_mentor=True)
    >>> explain_pair(a, b, ["open_data"], lambda k: k.replace("_", " "), {"text": 0.0})
    'Lyon is leading in open data, where Dakar has a high need. They share French.'
    """
    strengths = [f"{_LEVEL.get(mentor.maturity.get(a, 0), 'strong')} in {label(a)}" for a in areas[:3]]
    needs = [_NEED.get(mentee.need.get(a, 0), "some") for a in areas[:3]]
    if len(needs) == 1:
        need_text = f"a {needs[0]} need"
    elif len(set(needs)) == 1:
        need_text = f"{needs[0]} needs"
    else:
        need_text = _join(needs) + " needs respectively"
    first = f"{mentor.name} is {_join(strengths)}, where {mentee.name} has {need_text}."
    extra = []
    shared = [c for c in mentee.languages if c in mentor.languages]
    if shared:
        extra.append("They share " + _join(language_name(c) for c in shared))
    if mentor.region and mentor.region == mentee.region:
        extra.append(("both are in " if extra else "Both are in ") + mentor.region)
    if components.get("text", 0.0) > 0.05:
        extra.append("the mentor's practices echo the mentee's stated needs" if extra
                      else "The mentor's practices echo the mentee's stated needs")
    from .preferences import explain_preferences

    wishes = explain_preferences(mentor, mentee, components)
    return first + (" " + _join(extra) + "." if extra else "") + "".join(" " + w for w in wishes)
