"""Why: the explanation of every proposed pair and the reason of every unmatched mentee.

English sentences (the audit record) plus structured codes and facts, from which the
web application writes the same reasons in the reader's language.
"""

import numpy as np

from .explain import Phrases, language_name, sentences
from .preferences import COMPONENT_PREFIX, explain_preferences
from .result import Pair, Unmatched
from .scoring import RULES

__all__ = ["coverage_by", "ineligible_detail", "make_pairs", "unmatched_reasons"]

def rule_notes(model, params, i, j, binding):
    """Codes and sentences of the programme's rules that shaped pair (mentor i, mentee j)."""
    people = model.participants
    mentor, mentee = people[model.mentors[i]], people[model.mentees[j]]
    codes, notes = [], []
    if params.cross_commission != "off" and mentor.commission and mentee.commission \
            and mentor.commission != mentee.commission:
        codes.append("cross_commission")
        verb = "requires" if params.cross_commission == "required" else "rewards"
        notes.append(f"The pair crosses commissions ({mentor.commission.replace('_', ' ')} and "
                     f"{mentee.commission.replace('_', ' ')}), which this round {verb}.")
    if binding is None:
        return codes, notes
    if params.priority_floor > 0 and mentee.priority > 1:
        codes.append("priority_floor")
        notes.append(f"It counts toward the share of places the round reserves for priority "
                     f"mentees (at least {params.priority_floor:.0%}).")
    if params.min_per_region > 0 and ("region", mentee.region or "(none)") in binding["floor"]:
        codes.append("min_per_region")
        notes.append(f"It counts toward the minimum of {params.min_per_region} pairs for "
                     f"{mentee.region or 'cities without a region'}.")
    if mentee.country in binding["country"]:
        codes.append("max_per_country")
        notes.append(f"{mentee.country} reached the round's limit of {params.max_per_country} "
                     f"mentees per country.")
    return codes, notes


def make_pairs(model, params, rows, cols, binding=None):
    """The :class:`~matching.result.Pair` of each (mentor ``rows[e]``, mentee ``cols[e]``),
    explained, sorted by mentee, best score first.

    The parts of the sentences that depend on areas and levels are found for all pairs at
    once (numpy) and written once per distinct combination (:class:`Phrases`).
    """
    people = model.participants
    if len(rows) == 0:
        return []
    rows, cols = np.asarray(rows), np.asarray(cols)
    parts, contrib = model.pair_components(rows, cols)
    areas = [str(a) for a in model.features.areas_]
    # Focus areas of every pair: contributing areas, largest first, ties by position.
    order = np.argsort(-contrib, axis=1, kind="stable")
    n_pos = (contrib > 0).sum(axis=1)
    focus = _focus_tuples(order, n_pos, areas)
    phrases = Phrases(params.label)
    fits = _fit_texts(model, phrases, rows, cols, order, n_pos, areas)
    names = list(parts)
    values = list(zip(*(parts[name].tolist() for name in names)))
    echoes = (parts["text"] > 0.05).tolist() if "text" in parts else [False] * len(rows)
    wishing = np.zeros(len(rows), dtype=bool)
    for name in names:
        if name.startswith(COMPONENT_PREFIX):
            wishing |= parts[name] > 0
    wishing = wishing.tolist()
    mentor_of = model.mentors[rows].tolist()
    mentee_of = model.mentees[cols].tolist()
    # Rules shape a pair only with cross-commission pairs or a rule network.
    with_rules = binding is not None or params.cross_commission != "off"
    rows_l, cols_l = rows.tolist(), cols.tolist()
    pairs = []
    for e in range(len(rows)):
        mentor, mentee = people[mentor_of[e]], people[mentee_of[e]]
        comp = dict(zip(names, values[e]))
        wishes = explain_preferences(mentor, mentee, comp) if wishing[e] else ()
        text = sentences(phrases, mentor, mentee, fits[e], echoes[e], wishes)
        codes, notes = rule_notes(model, params, rows_l[e], cols_l[e], binding) if with_rules else ((), ())
        pairs.append(Pair(mentor=mentor.id, mentee=mentee.id, score=float(sum(comp.values())),
                          components=comp, areas=focus[e],
                          explanation=" ".join([text, *notes]) if notes else text, rules=tuple(codes)))
    pairs.sort(key=lambda p: (p.mentee, -p.score, p.mentor))
    return pairs


def _distinct_rows(codes):
    """(first row of each distinct row of the int matrix ``codes``, row -> its distinct index)."""
    if codes.shape[1] == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    view = np.ascontiguousarray(codes).view(np.dtype((np.void, codes.dtype.itemsize * codes.shape[1])))
    _, first, inverse = np.unique(view.ravel(), return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _focus_tuples(order, n_pos, areas):
    """Each pair's focus areas (keys, best first), one tuple per distinct focus."""
    masked = np.where(np.arange(order.shape[1]) < n_pos[:, None], order, -1)
    first, inverse = _distinct_rows(masked)
    distinct = [tuple(areas[a] for a in row[:k]) for row, k in zip(order[first].tolist(), n_pos[first].tolist())]
    return [distinct[k] for k in inverse.tolist()]


def _fit_texts(model, phrases, rows, cols, order, n_pos, areas):
    """(strengths, needs) of each pair's first sentence (:meth:`Phrases.fit_text` on its top
    three focus areas, the mentor's maturity and the mentee's need there), written once per
    distinct combination."""
    f = model.features.feature_slices_
    top = order[:, :3]
    n_top = np.minimum(n_pos, top.shape[1])
    shown = np.arange(top.shape[1]) < n_top[:, None]
    mentor_raw, mentee_raw = model.raw[model.mentors[rows]], model.raw[model.mentees[cols]]
    levels = np.take_along_axis(mentor_raw[:, f["maturity"]], top, axis=1).astype(np.int64)
    needs = np.take_along_axis(mentee_raw[:, f["need"]], top, axis=1).astype(np.int64)
    codes = np.where(shown, (top * 8 + levels) * 8 + needs, -1)
    first, inverse = _distinct_rows(codes)
    distinct = []
    for k, t, lv, nd in zip(n_top[first].tolist(), top[first].tolist(),
                            levels[first].tolist(), needs[first].tolist()):
        distinct.append(phrases.fit_text(tuple(areas[a] for a in t[:k]), tuple(lv[:k]), tuple(nd[:k])))
    return [distinct[k] for k in inverse.tolist()]


def ineligible_detail(model, j, counts):
    """The English sentence and the facts behind it for a mentee no mentor may help."""
    p = model.participants[model.mentees[j]]
    params = model.params
    rule = next(r for r in RULES if counts[r] == 0)
    facts = {"rule": rule, "candidates": 0}
    if rule == "needs":
        if not any(p.need.values()):
            facts["rule"] = "no_need"
            return f"{p.name} states no need in any area, so no mentor can be proposed.", facts
        return (f"No mentor in this round teaches (at level 3-4, in its can-mentor areas) an area "
                f"where {p.name} has a need above its own level."), facts
    if rule == "language":
        facts["languages"] = list(p.languages)
        langs = ", ".join(language_name(c) for c in p.languages) or "none given"
        return (f"No mentor who could help {p.name} shares one of its working languages "
                f"({langs}); shared language is required."), facts
    if rule == "country":
        facts["country"] = p.country
        return (f"The only mentors who could help {p.name} are in the same country ({p.country}); "
                f"same-country pairs are not allowed."), facts
    if rule == "exclusion":
        return (f"The only mentors who could help {p.name} are excluded for it "
                f"(exclude list or previous pairs)."), facts
    if rule == "commission":
        return (f"The only mentors who could help {p.name} take part through the same commission "
                f"(or none); the round requires pairs that cross commissions."), facts
    facts["min_score"] = float(params.min_score)
    return f"No mentor who could help {p.name} reaches the minimum score of {params.min_score:g}.", facts


def mentor_country_blocked(net, model, j, binding):
    """Whether a candidate mentor of mentee j has a free place but its country quota is full."""
    country = net.mentee_country[j]
    load = net.__dict__.get("_load")
    if load is None:
        used = [net.arcs[k][2]["edge"] for k in net.pair_arc if net.flow[k] > 0.5]
        load = net._load = np.bincount(net.rows[used], minlength=model.n_mentors)
    mentors = net.rows[net.cols == j]
    return any(load[i] < model.capacity[i] and (i, country) in binding["mentor_country"]
               for i in mentors.tolist())


def floor_label(group, params):
    if group[0] == "priority":
        return f"at least {params.priority_floor:.0%} of the places for priority mentees"
    return f"at least {params.min_per_region} pairs for {group[1]}"


def floor_facts(group, params):
    if group[0] == "priority":
        return {"kind": "priority", "share": float(params.priority_floor)}
    return {"kind": "region", "region": group[1], "pairs": int(params.min_per_region)}


def coverage_by(groups, matched):
    out = {}
    for key in sorted(set(groups)):
        sel = [m for g, m in zip(groups, matched) if g == key]
        out[key] = sum(sel) / len(sel)
    return out



def unmatched_reasons(model, params, count, got, net, binding):
    """An :class:`~matching.result.Unmatched` (reason, sentence, facts) for every mentee left out.

    ``count`` holds each mentee's number of eligible mentors, ``got`` its number of
    mentors in the result; ``net`` and ``binding`` are the rule network and the rules
    that held the round back (``None`` without rules).
    """
    people = model.participants
    unmatched = []
    left = np.flatnonzero(np.asarray(got) == 0)
    ineligible = left[np.asarray(count)[left] == 0].tolist()
    rules = dict(zip(ineligible, model.rule_counts(ineligible)))
    for j in left.tolist():
        mentee = people[model.mentees[j]]
        candidates = int(count[j])
        if candidates == 0:
            detail, facts = ineligible_detail(model, j, rules[j])
            unmatched.append(Unmatched(mentee.id, "no_eligible_mentor", detail, facts))
        elif binding is not None and mentee.country in binding["country"]:
            unmatched.append(Unmatched(mentee.id, "rule_max_per_country", (
                f"{candidates} mentor(s) could help {mentee.name}, but the round matches at "
                f"most {params.max_per_country} mentees from {mentee.country} (a programme rule) "
                f"and that many are matched."), {"candidates": candidates, "country": mentee.country,
                                                 "max_per_country": params.max_per_country}))
        elif binding is not None and mentor_country_blocked(net, model, j, binding):
            unmatched.append(Unmatched(mentee.id, "rule_max_per_mentor_country", (
                f"{candidates} mentor(s) could help {mentee.name}, but those with a free place "
                f"already take {params.max_per_mentor_country} mentee(s) from {mentee.country}, "
                f"the most one mentor may take from a country (a programme rule)."),
                {"candidates": candidates, "country": mentee.country,
                 "max_per_mentor_country": params.max_per_mentor_country}))
        else:
            floor, floors = "", []
            if binding is not None and binding["floor"]:
                groups = sorted(binding["floor"])
                floors = [floor_facts(g, params) for g in groups]
                floor = (" Some places are reserved by the programme's floors ("
                         + ", ".join(floor_label(g, params) for g in groups) + ").")
            unmatched.append(Unmatched(mentee.id, "capacity", (
                f"{candidates} mentor(s) could help {mentee.name}, but their places go to "
                f"other mentees in the best round under the chosen objective." + floor),
                {"candidates": candidates, "floors": floors}))
    return unmatched
