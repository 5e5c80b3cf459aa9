"""Plain-English explanations of pairs."""

from .preferences import explain_preferences

__all__ = ["Phrases", "explain_pair", "language_name", "sentences"]

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
        self.fits = {}
        self.tails = {}

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

    def fit_text(self, top, levels, needs):
        """(the mentor's strengths in the ``top`` areas at its ``levels``, the mentee's
        ``needs`` there): the two variable parts of a pair's first sentence."""
        key = (top, levels, needs)
        texts = self.fits.get(key)
        if texts is None:
            texts = self.fits[key] = (_join([self.strength_of(lv, a) for lv, a in zip(levels, top)]),
                                      self.need_text(needs))
        return texts

    def tail(self, mentor_languages, mentee_languages, region, echoes):
        """The second sentence: shared languages, the common ``region`` (or ""), whether
        the texts echo each other; "" when there is nothing to say."""
        key = (mentor_languages, mentee_languages, region, echoes)
        text = self.tails.get(key)
        if text is None:
            extra = []
            shared = self.shared_text(mentor_languages, mentee_languages)
            if shared:
                extra.append(shared)
            if region:
                extra.append(("both are in " if extra else "Both are in ") + region)
            if echoes:
                extra.append("the mentor's practices echo the mentee's stated needs" if extra
                             else "The mentor's practices echo the mentee's stated needs")
            text = self.tails[key] = " " + _join(extra) + "." if extra else ""
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
    top = tuple(areas[:3])
    fit = ph.fit_text(top, tuple(mentor.maturity.get(a, 0) for a in top),
                      tuple(mentee.need.get(a, 0) for a in top))
    return sentences(ph, mentor, mentee, fit, components.get("text", 0.0) > 0.05,
                     explain_preferences(mentor, mentee, components))


def sentences(phrases, mentor, mentee, fit, echoes, wishes):
    """The explanation from its parts: ``fit`` from :meth:`Phrases.fit_text`, ``echoes``
    whether the texts match (text component above 0.05), ``wishes`` the preference sentences."""
    strengths, needs = fit
    region = mentor.region if mentor.region and mentor.region == mentee.region else ""
    return (f"{mentor.name} is {strengths}, where {mentee.name} has {needs}."
            + phrases.tail(mentor.languages, mentee.languages, region, echoes)
            + "".join(" " + w for w in wishes))
