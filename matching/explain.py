"""Plain-English explanations of pairs."""

from .preferences import explain_preferences

__all__ = ["Phrases", "explain_pair", "language_name"]

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


class Phrases:
    """The pieces of the sentences, memoised: a round's explanations repeat the same few
    (an area's label at a level, a need level, a pair of language lists)."""

    def __init__(self, label):
        self.label = label
        self.strength = {}
        self.needs = {}
        self.shared = {}

    def strength_of(self, level, area):
        key = (level, area)
        text = self.strength.get(key)
        if text is None:
            text = self.strength[key] = f"{_LEVEL.get(level, 'strong')} in {self.label(area)}"
        return text

    def need_text(self, levels):
        text = self.needs.get(levels)
        if text is None:
            needs = [_NEED.get(n, "some") for n in levels]
            if len(needs) == 1:
                text = f"a {needs[0]} need"
            elif len(set(needs)) == 1:
                text = f"{needs[0]} needs"
            else:
                text = _join(needs) + " needs respectively"
            self.needs[levels] = text
        return text

    def shared_text(self, mentor_languages, mentee_languages):
        key = (mentor_languages, mentee_languages)
        text = self.shared.get(key)
        if text is None:
            shared = [c for c in mentee_languages if c in mentor_languages]
            text = self.shared[key] = ("They share " + _join(language_name(c) for c in shared)
                                       if shared else "")
        return text


def explain_pair(mentor, mentee, areas, label, components, phrases=None):
    """One or two sentences saying why a mentor suits a mentee.

    Parameters
    ----------
    mentor, mentee : Participant
    areas : sequence of str
        Focus areas, best first.
    label : callable
        Area key to readable label.
    components : dict of str to float
    phrases : Phrases, optional
        Memoised sentence pieces shared by the pairs of a round (built from ``label``).

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
    ph = phrases if phrases is not None else Phrases(label)
    top = areas[:3]
    mat, need = mentor.maturity, mentee.need
    strengths = [ph.strength_of(mat.get(a, 0), a) for a in top]
    first = (f"{mentor.name} is {_join(strengths)}, where {mentee.name} has "
             f"{ph.need_text(tuple(need.get(a, 0) for a in top))}.")
    extra = []
    shared = ph.shared_text(mentor.languages, mentee.languages)
    if shared:
        extra.append(shared)
    if mentor.region and mentor.region == mentee.region:
        extra.append(("both are in " if extra else "Both are in ") + mentor.region)
    if components.get("text", 0.0) > 0.05:
        extra.append("the mentor's practices echo the mentee's stated needs" if extra
                      else "The mentor's practices echo the mentee's stated needs")
    wishes = explain_preferences(mentor, mentee, components)
    return first + (" " + _join(extra) + "." if extra else "") + "".join(" " + w for w in wishes)
