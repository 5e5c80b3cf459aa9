"""Features of city profiles, as scikit-learn transformers.

:class:`CityFeatures` turns participant records into one dense matrix: maturity,
need and teaching level per area, a multilingual text embedding of the practices
and of the needs, and context features (region, log population).
:class:`LevelThresholds` is the numeric step behind the complementarity score.
"""

from collections import Counter
from itertools import chain, repeat

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .records import TEACH_LEVEL, Participant
from .text import HASH_DIM, TextVectors, char_ngram_hashes

__all__ = ["CityFeatures", "LevelThresholds", "char_ngram_hashes", "HASH_DIM"]

N_LEVELS = 4          # maturity levels 1..4 above "not started"
MAX_NEED = 3
_POP_CENTERS = np.arange(2.0, 8.01, 0.5)   # log10 population grid (100 .. 100 million)
_POP_WIDTH = 0.5


class LevelThresholds(TransformerMixin, BaseEstimator):
    """Expand levels into threshold indicators ``[x >= 1], [x >= 2], ... [x >= n_levels]``.

    The complementarity of a mentor teaching at level ``L`` to a mentee at level
    ``m`` is ``max(0, L - m) = sum_t [L >= t] * [m < t]``, so with these indicators
    it becomes one matrix product for all pairs.

    Parameters
    ----------
    n_levels : int, default 4
        Highest level.

    Attributes
    ----------
    n_features_in_ : int

    Examples
    --------
    >>> LevelThresholds(n_levels=3).fit_transform([[2, 0]])
    array([[1., 0., 1., 0., 0., 0.]])
    """

    def __init__(self, n_levels=N_LEVELS):
        self.n_levels = n_levels

    def fit(self, X, y=None):
        """Check the input shape; return self."""
        validate_data(self, X, dtype=np.float64)
        return self

    def transform(self, X):
        """Return the indicators, level-major: column ``(t - 1) * n_features + j``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.hstack([(X >= t).astype(np.float64) for t in range(1, self.n_levels + 1)])

    def get_feature_names_out(self, input_features=None):
        """Names ``x0>=1`` ...; see :meth:`transform` for the order."""
        check_is_fitted(self)
        names = input_features if input_features is not None else [
            f"x{j}" for j in range(self.n_features_in_)]
        return np.asarray([f"{n}>={t}" for t in range(1, self.n_levels + 1) for n in names],
                          dtype=object)


def _as_records(X):
    if isinstance(X, list) and all(type(item) is Participant for item in X):
        return X
    return [item if isinstance(item, Participant) else Participant.from_dict(item) for item in X]


def _area_matrix(maps, col):
    """Dense (n, len(col)) float32 of per-record area -> level mappings (or area tuples: 1).

    Areas not in ``col`` are ignored.
    """
    out = np.zeros((len(maps), len(col)), dtype=np.float32)
    sizes = np.fromiter(map(len, maps), dtype=np.intp, count=len(maps))
    total = int(sizes.sum())
    if total == 0:
        return out
    cols = np.fromiter(map(col.get, chain.from_iterable(maps), repeat(-1)), dtype=np.intp, count=total)
    rows = np.repeat(np.arange(len(maps)), sizes)
    if isinstance(maps[0], tuple):
        values = np.ones(total, dtype=np.float32)
    else:
        values = np.fromiter(chain.from_iterable(m.values() for m in maps), dtype=np.float32,
                             count=total)
    sel = cols >= 0
    out[rows[sel], cols[sel]] = values[sel]
    return out


class CityFeatures(TransformerMixin, BaseEstimator):
    """Turn participant records into a dense feature matrix.

    Column blocks (see ``feature_slices_``): ``maturity``, ``need`` and ``teach`` (the
    maturity where the city can mentor at level >= 3, else 0) per area; ``practices``
    and ``needs_text``, L2-normalised embeddings of idf-weighted character n-grams
    (n-grams within word boundaries still match across English, French, Spanish and
    Portuguese: "digital", "digitale", "digitales", "digitais"): texts are split into
    words and the n-grams of each distinct word hashed once (:mod:`matching.text`, linear
    in the text volume, at most ``max_chars`` characters per text) with random signs into
    ``HASH_DIM`` columns (a sparse random projection), then projected on the principal
    directions of (a sample of) the round's texts, at most ``text_components`` of them;
    ``context``, a region one-hot and a smooth
    encoding of log10 population, scaled so the dot product of two rows is
    ``0.5 * same_region + 0.5 * population_similarity``.

    Parameters
    ----------
    areas : sequence of str or None, default None
        Area keys, in column order; by default learned from the records.
    text_components : int, default 64
        Dimension of the text embedding. Below it the projection is exact.
    ngram_range : tuple, default (3, 5)
        Character n-gram sizes.
    random_state : int or None, default None
        Seed of the sample of texts the projection is learned on (large corpora).
    max_chars : int, default 2000
        Characters of each text that count (a per-text bound on the cost).

    Attributes
    ----------
    areas_ : ndarray of str
    regions_ : ndarray of str
    idf_ : ndarray of shape (IDF_BUCKETS,) or None
        Inverse collection frequency per n-gram bucket.
    text_projection_ : ndarray of shape (HASH_DIM, n_components) or None
    feature_slices_ : dict of str to slice
    n_features_out_ : int

    Examples
    --------
    >>> from matching import Participant
    >>> cities = [Participant(id="a", name="A", country="FR", region="Europe", population=500000,
    ...                       maturity={"open_data": 4}, can_mentor=["open_data"], capacity=1,
    ...                       practices="open data portal"),
    ...           Participant(id="b", name="B", country="SN", region="Africa", need={"open_data": 3},
    ...                       wants_mentor=True, needs_text="portail de données ouvertes")]
    >>> f = CityFeatures().fit(cities)
    >>> X = f.transform(cities)
    >>> list(f.areas_), X.shape[0], X[:, f.feature_slices_["teach"]].ravel().tolist()
    (['open_data'], 2, [4.0, 0.0])
    """

    def __init__(self, areas=None, text_components=64, ngram_range=(3, 5), random_state=None,
                 max_chars=2000):
        self.areas = areas
        self.text_components = text_components
        self.ngram_range = ngram_range
        self.random_state = random_state
        self.max_chars = max_chars

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.dict = True
        tags.input_tags.string = True
        return tags

    def fit(self, X, y=None):
        """Learn the areas, regions and the text vocabulary and projection.

        Parameters
        ----------
        X : sequence of Participant or dict
        y : ignored

        Returns
        -------
        self
        """
        records = _as_records(X)
        if not records:
            raise ValueError("CityFeatures needs at least one record to fit")
        if self.areas is None:
            keys = set(chain.from_iterable(p.maturity for p in records))
            keys.update(chain.from_iterable(p.need for p in records))
            keys.update(chain.from_iterable(p.can_mentor for p in records))
            areas = sorted(keys)
        else:
            areas = list(self.areas)
        self.areas_ = np.asarray(areas, dtype=object)
        self.regions_ = np.asarray(sorted({p.region for p in records} - {""}), dtype=object)
        # Texts repeat across cities (and between fit and transform): the corpus is
        # embedded once per distinct text, counted with its multiplicity.
        counts = Counter(chain([p.practices for p in records], [p.needs_text for p in records]))
        uniq = [t for t in counts if t.strip()]
        self.idf_ = None
        self.text_projection_ = None
        self._text_rows, self._text_emb = {}, None
        if uniq:
            self._text = TextVectors(self.text_components, self.ngram_range, self.max_chars,
                                     self.random_state)
            self._text_emb = self._text.fit_embed(uniq, [counts[t] for t in uniq])
            self._text_rows = {t: i for i, t in enumerate(uniq)}
            self.idf_, self.text_projection_ = self._text.idf, self._text.projection
        n_areas, d = len(self.areas_), self._text_dim()
        n_ctx = len(self.regions_) + len(_POP_CENTERS)
        blocks = [("maturity", n_areas), ("need", n_areas), ("teach", n_areas),
                  ("practices", d), ("needs_text", d), ("context", n_ctx)]
        self.feature_slices_, start = {}, 0
        for name, width in blocks:
            self.feature_slices_[name] = slice(start, start + width)
            start += width
        self.n_features_out_ = start
        return self

    def _text_dim(self):
        return 0 if self.text_projection_ is None else self.text_projection_.shape[1]

    def _embed(self, texts):
        """Embeddings of ``texts`` (fitted ones from the fit, the others embedded now)."""
        out = np.zeros((len(texts), self._text_dim()), dtype=np.float32)
        if out.shape[1] == 0:
            return out
        get = self._text_rows.get
        idx = np.fromiter((get(t, -1) for t in texts), dtype=np.intp, count=len(texts))
        known = idx >= 0
        out[known] = self._text_emb[idx[known]]
        other = np.flatnonzero(~known).tolist()
        new = list(dict.fromkeys(texts[i] for i in other if texts[i].strip()))
        if new:
            emb = self._text.embed(new)
            row = {t: k for k, t in enumerate(new)}
            for i in other:
                if texts[i] in row:
                    out[i] = emb[row[texts[i]]]
        return out

    def transform(self, X):
        """Return the feature matrix, shape ``(n_records, n_features_out_)``, float32."""
        check_is_fitted(self)
        records = _as_records(X)
        n = len(records)
        col = {a: j for j, a in enumerate(self.areas_)}
        mat = _area_matrix([p.maturity for p in records], col)
        need = _area_matrix([p.need for p in records], col)
        # Participant.teaching_areas: listed and at maturity >= TEACH_LEVEL.
        can = _area_matrix([p.can_mentor for p in records], col)
        teach = np.where((can > 0) & (mat >= TEACH_LEVEL), mat, np.float32(0))
        region_col = {r: j for j, r in enumerate(self.regions_)}
        region = np.zeros((n, len(self.regions_)), dtype=np.float32)
        at = np.fromiter((region_col.get(p.region, -1) for p in records), dtype=np.intp, count=n)
        region[np.flatnonzero(at >= 0), at[at >= 0]] = 1.0
        population = np.fromiter((p.population for p in records), dtype=np.float64, count=n)
        logpop = np.log10(np.maximum(population, 1.0))
        pop = np.exp(-0.5 * ((logpop[:, None] - _POP_CENTERS[None, :]) / _POP_WIDTH) ** 2)
        pop /= np.linalg.norm(pop, axis=1, keepdims=True)
        pop[population == 0] = 0.0
        context = np.hstack([region, pop.astype(np.float32)]) * np.float32(np.sqrt(0.5))
        return np.hstack([mat, need, teach, self._embed([p.practices for p in records]),
                          self._embed([p.needs_text for p in records]), context]).astype(np.float32)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, block by block."""
        check_is_fitted(self)
        names = [f"{block}__{a}" for block in ("maturity", "need", "teach") for a in self.areas_]
        d = self._text_dim()
        names += [f"practices__{i}" for i in range(d)] + [f"needs_text__{i}" for i in range(d)]
        names += [f"context__region_{r}" for r in self.regions_]
        names += [f"context__log10pop_{c:g}" for c in _POP_CENTERS]
        return np.asarray(names, dtype=object)
