"""Features of city profiles, as scikit-learn transformers.

:class:`CityFeatures` turns participant records into one dense matrix: maturity,
need and teaching level per area, a multilingual text embedding of the practices
and of the needs, and context features (region, log population).
:class:`LevelThresholds` is the numeric step behind the complementarity score.
"""

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted, validate_data

from .records import Participant

__all__ = ["CityFeatures", "LevelThresholds"]

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
    out = []
    for item in X:
        out.append(item if isinstance(item, Participant) else Participant.from_dict(item))
    return out


class CityFeatures(TransformerMixin, BaseEstimator):
    """Turn participant records into a dense feature matrix.

    Column blocks (see ``feature_slices_``): ``maturity``, ``need`` and ``teach`` (the
    maturity where the city can mentor at level >= 3, else 0) per area; ``practices``
    and ``needs_text``, L2-normalised embeddings of character n-gram TF-IDF (char
    n-grams within word boundaries still match across English, French, Spanish and
    Portuguese: "digital", "digitale", "digitales", "digitais"), projected to at
    most ``text_components`` dimensions; ``context``, a region one-hot and a smooth
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
        Seed of the randomised projection used for large corpora.

    Attributes
    ----------
    areas_ : ndarray of str
    regions_ : ndarray of str
    vectorizer_ : TfidfVectorizer or None
    text_projection_ : ndarray of shape (n_components, n_ngrams) or None
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

    def __init__(self, areas=None, text_components=64, ngram_range=(3, 5), random_state=None):
        self.areas = areas
        self.text_components = text_components
        self.ngram_range = ngram_range
        self.random_state = random_state

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
            keys = set()
            for p in records:
                keys.update(p.maturity, p.need, p.can_mentor)
            areas = sorted(keys)
        else:
            areas = list(self.areas)
        self.areas_ = np.asarray(areas, dtype=object)
        self.regions_ = np.asarray(sorted({p.region for p in records if p.region}), dtype=object)
        # Texts repeat across cities (and between fit and transform): the corpus is
        # vectorised once per distinct text, with document frequencies counted with
        # multiplicity, so the result equals TF-IDF on the full corpus.
        counts = {}
        for p in records:
            for t in (p.practices, p.needs_text):
                if t.strip():
                    counts[t] = counts.get(t, 0) + 1
        self.vectorizer_ = None
        self.text_projection_ = None
        self._embedding_cache = {}
        if counts:
            uniq = list(counts)
            mult = np.asarray([counts[t] for t in uniq], dtype=np.float64)
            vec = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.ngram_range),
                                  strip_accents="unicode", lowercase=True, sublinear_tf=True,
                                  dtype=np.float32)
            with config_context(skip_parameter_validation=True):
                tfidf = vec.fit_transform(uniq).tocsr()
            present = tfidf.copy()
            present.data[:] = 1.0
            df = present.T @ mult
            n = mult.sum()
            idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
            ratio = (idf / vec.idf_).astype(np.float32)
            vec.idf_ = idf
            tfidf = normalize(tfidf @ sp.diags_array(ratio), copy=False)
            self.vectorizer_ = vec
            n_docs, n_terms = int(n), tfidf.shape[1]
            if min(len(uniq), n_terms) <= self.text_components:
                # Few distinct texts: an exact orthonormal basis of the row space
                # keeps every cosine between fitted texts unchanged.
                _, sv, vt = np.linalg.svd(tfidf.toarray().astype(np.float64), full_matrices=False)
                rank = int(np.sum(sv > 1e-10 * max(sv.max(), 1e-300)))
                self.text_projection_ = vt[:max(rank, 1)].astype(np.float32)
            else:
                # Duplicated rows weigh as sqrt(multiplicity) in the decomposition.
                weighted = sp.diags_array(np.sqrt(mult).astype(np.float32)) @ tfidf
                svd = TruncatedSVD(n_components=self.text_components, algorithm="randomized",
                                   n_iter=4, random_state=self.random_state)
                with config_context(skip_parameter_validation=True):
                    svd.fit(weighted)
                self.text_projection_ = svd.components_.astype(np.float32)
            emb = self._project(tfidf)
            self._embedding_cache = {t: emb[i] for i, t in enumerate(uniq)}
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
        return 0 if self.text_projection_ is None else self.text_projection_.shape[0]

    def _project(self, tfidf):
        emb = np.asarray(tfidf @ self.text_projection_.T, dtype=np.float32)
        norm = np.linalg.norm(emb, axis=1, keepdims=True)
        np.divide(emb, norm, out=emb, where=norm > 0)
        return emb

    def _embed(self, texts):
        d = self._text_dim()
        out = np.zeros((len(texts), d), dtype=np.float32)
        if d == 0:
            return out
        cache = getattr(self, "_embedding_cache", {})
        new = list(dict.fromkeys(t for t in texts if t.strip() and t not in cache))
        known = dict(cache)
        if new:
            emb = self._project(self.vectorizer_.transform(new))
            known.update(zip(new, emb))
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if idx:
            out[idx] = np.stack([known[texts[i]] for i in idx])
        return out

    def transform(self, X):
        """Return the feature matrix, shape ``(n_records, n_features_out_)``, float32."""
        check_is_fitted(self)
        records = _as_records(X)
        n, areas = len(records), list(self.areas_)
        col = {a: j for j, a in enumerate(areas)}
        mat = np.zeros((n, len(areas)), dtype=np.float32)
        need = np.zeros_like(mat)
        teach = np.zeros_like(mat)
        get = col.get
        found = {
            "m": [(i, get(a), v) for i, p in enumerate(records) for a, v in p.maturity.items()],
            "n": [(i, get(a), v) for i, p in enumerate(records) for a, v in p.need.items()],
            # Participant.teaching_areas: listed and at maturity >= 3.
            "t": [(i, get(a), p.maturity.get(a, 0)) for i, p in enumerate(records)
                  for a in p.can_mentor if p.maturity.get(a, 0) >= 3],
        }
        for key, target in (("m", mat), ("n", need), ("t", teach)):
            items = [t for t in found[key] if t[1] is not None]
            if items:
                arr = np.asarray(items, dtype=np.int64)
                target[arr[:, 0], arr[:, 1]] = arr[:, 2]
        region_col = {r: j for j, r in enumerate(self.regions_)}
        region = np.zeros((n, len(self.regions_)), dtype=np.float32)
        for i, p in enumerate(records):
            if p.region in region_col:
                region[i, region_col[p.region]] = 1.0
        logpop = np.log10(np.maximum([p.population for p in records], 1.0))
        pop = np.exp(-0.5 * ((logpop[:, None] - _POP_CENTERS[None, :]) / _POP_WIDTH) ** 2)
        pop /= np.linalg.norm(pop, axis=1, keepdims=True)
        unknown = np.asarray([p.population == 0 for p in records])
        pop[unknown] = 0.0
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
