"""Features of city profiles, as scikit-learn transformers.

:class:`CityFeatures` turns participant records into one dense matrix: maturity,
need and teaching level per area, a multilingual text embedding of the practices
and of the needs, and context features (region, log population).
:class:`LevelThresholds` is the numeric step behind the complementarity score.
"""

import unicodedata

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.extmath import randomized_svd
from sklearn.utils.validation import check_is_fitted, validate_data

from .records import Participant

__all__ = ["CityFeatures", "LevelThresholds", "char_ngram_hashes"]

HASH_DIM = 1024        # signed-hash space of the n-grams (a sparse random projection)
IDF_BUCKETS = 1 << 20  # buckets of the collection frequencies behind the idf weights
SVD_SAMPLE = 4000      # distinct texts whose principal directions make the projection
EMBED_CHUNK = 16384    # texts hashed at once (bounds the dense work arrays: 64 MB)
KEEP_WINDOWS = 1 << 24  # n-gram windows kept between the two passes of fit (else re-hashed)


_FOLDED = {0: 0}  # code point -> folded code point, filled for the characters met so far


def _fold_char(c):
    ch = chr(c)
    if not ch.isalnum():
        return 32
    base = "".join(x for x in unicodedata.normalize("NFKD", ch.lower()) if not unicodedata.combining(x))
    return ord(base[0]) if len(base) >= 1 else c


def _fold_table(present):
    """Code point -> lower-case base letter (accents stripped), 32 for non-word characters.

    Only the code points in ``present`` (those of the texts at hand) are worked out, once
    per process: a table of the whole Basic Multilingual Plane would cost a second.
    """
    for c in present.tolist():
        if c not in _FOLDED:
            _FOLDED[c] = _fold_char(c)
    table = np.full(0x10000, 32, dtype=np.uint32)
    table[present] = [_FOLDED[c] for c in present.tolist()]
    return table


def char_ngram_hashes(texts, ngram_range=(3, 5), max_chars=2000):
    """32-bit hashes of the character n-grams of each text, within word boundaries.

    Like scikit-learn's ``char_wb`` analyser (lower case, accents stripped, words padded
    with a space, n-grams never across words) but vectorised over the whole corpus in
    numpy: time and memory are linear in the total text volume, and each text counts
    for at most ``max_chars`` characters.

    Returns
    -------
    docs : ndarray of int32
        Text position of each n-gram occurrence (one non-decreasing run per n-gram size).
    hashes : ndarray of uint32

    Examples
    --------
    >>> docs, hashes = char_ngram_hashes(["Données", "donnees"], ngram_range=(3, 3))
    >>> docs.tolist()
    [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    >>> bool((hashes[:7] == hashes[7:]).all())
    True
    """
    corpus = " " + " \x00 ".join(t[:max_chars] for t in texts) + " "
    t = np.frombuffer(corpus.encode("utf-32-le"), dtype=np.uint32)
    small = t < 0x10000
    codes = np.where(small, t, 0)
    t = np.where(small, _fold_table(np.flatnonzero(np.bincount(codes, minlength=1)))[codes], t)
    blank = t == 32
    keep = ~blank
    keep[1:] |= ~blank[:-1]                             # runs of blanks -> one space
    keep[0] = True
    t = t[keep]
    brk = t == 0
    stop = brk | (t == 32)
    doc = np.cumsum(brk, dtype=np.int32)
    csum = np.cumsum(stop, dtype=np.int32)
    n = len(t)
    lo, hi = ngram_range
    hashes, docs = [], []
    h = t ^ np.uint32(0x811C9DC5)
    mul = np.uint32(0x01000193)
    for k in range(1, hi):
        m = n - k
        h = h[:m] * mul
        h ^= t[k:k + m]
        size = k + 1
        if size < lo:
            continue
        # No text break in the window and no blank strictly inside it.
        ok = csum[size - 2:size - 2 + m] == csum[:m]
        ok &= ~brk[:m]
        ok &= ~brk[size - 1:size - 1 + m]
        x = h[ok]
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x2C1B3C6D + 2 * size)
        x ^= x >> np.uint32(12)
        hashes.append(x)
        docs.append(doc[:m][ok])
    if not hashes:
        return np.zeros(0, np.int32), np.zeros(0, np.uint32)
    # One sorted run per n-gram size.
    return np.concatenate(docs), np.concatenate(hashes)


def _idf_bucket(hashes):
    return (hashes >> np.uint32(12)).astype(np.intp)


def _runs(docs):
    """Boundaries of the non-decreasing runs of ``docs``."""
    return np.r_[0, np.flatnonzero(docs[1:] < docs[:-1]) + 1, len(docs)]

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
    and ``needs_text``, L2-normalised embeddings of idf-weighted character n-grams
    (n-grams within word boundaries still match across English, French, Spanish and
    Portuguese: "digital", "digitale", "digitales", "digitais"): the n-grams are hashed
    (:func:`char_ngram_hashes`, linear in the text volume, at most ``max_chars``
    characters per text) with random signs into ``HASH_DIM`` columns (a sparse random
    projection), then projected on the principal directions of (a sample of) the
    round's texts, at most ``text_components`` of them; ``context``, a region one-hot and a smooth
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
            keys = set()
            for p in records:
                keys.update(p.maturity, p.need, p.can_mentor)
            areas = sorted(keys)
        else:
            areas = list(self.areas)
        self.areas_ = np.asarray(areas, dtype=object)
        self.regions_ = np.asarray(sorted({p.region for p in records if p.region}), dtype=object)
        # Texts repeat across cities (and between fit and transform): the corpus is
        # hashed once per distinct text, counted with its multiplicity.
        counts = {}
        for p in records:
            for t in (p.practices, p.needs_text):
                if t.strip():
                    counts[t] = counts.get(t, 0) + 1
        self.idf_ = None
        self.text_projection_ = None
        self._embedding_cache = {}
        if counts:
            uniq = list(counts)
            mult = np.asarray([counts[t] for t in uniq], dtype=np.float64)
            # Pass 1: collection frequencies (kept hashes are reused by pass 2).
            chunks = [(a, uniq[a:a + EMBED_CHUNK]) for a in range(0, len(uniq), EMBED_CHUNK)]
            cf = np.zeros(IDF_BUCKETS)
            kept, n_kept = {}, 0
            for a, part in chunks:
                docs, hashes = char_ngram_hashes(part, tuple(self.ngram_range), self.max_chars)
                cf += np.bincount(_idf_bucket(hashes), weights=mult[a + docs], minlength=IDF_BUCKETS)
                if n_kept + len(hashes) <= KEEP_WINDOWS:
                    kept[a] = (docs, hashes)
                    n_kept += len(hashes)
            # Inverse collection frequency of each n-gram bucket (occurrences counted with
            # the multiplicity of their text): common n-grams weigh little.
            self.idf_ = (np.log((1.0 + mult.sum()) / (1.0 + cf)) + 1.0).astype(np.float32)

            def hashed_chunk(a, part):
                docs, hashes = kept.pop(a, None) or char_ngram_hashes(
                    part, tuple(self.ngram_range), self.max_chars)
                return self._hashed(docs, hashes, len(part))
            rng = np.random.default_rng(self.random_state)
            sample = np.arange(len(uniq)) if len(uniq) <= SVD_SAMPLE else \
                np.sort(rng.choice(len(uniq), size=SVD_SAMPLE, replace=False))
            if len(chunks) == 1:
                hashed_all = hashed_chunk(*chunks[0])
                rows = hashed_all[sample]
            else:
                hashed_all = None
                picked = [uniq[i] for i in sample]
                docs, hashes = char_ngram_hashes(picked, tuple(self.ngram_range), self.max_chars)
                rows = self._hashed(docs, hashes, len(picked))
            if len(uniq) <= self.text_components:
                # Few distinct texts: an exact orthonormal basis of the row space keeps
                # every cosine between fitted texts (in the hashed space) unchanged.
                _, sv, vt = np.linalg.svd(rows.astype(np.float64), full_matrices=False)
                rank = int(np.sum(sv > 1e-10 * max(sv.max(), 1e-300)))
                self.text_projection_ = np.ascontiguousarray(vt[:max(rank, 1)].T, dtype=np.float32)
            else:
                # Principal directions of a sample of texts (duplicates weigh as
                # sqrt(multiplicity)): a small dense eigenproblem whatever the corpus size.
                weighted = rows * np.sqrt(mult[sample]).astype(np.float32)[:, None]
                _, _, vt = randomized_svd(weighted, self.text_components, n_iter=4,
                                          random_state=self.random_state)
                self.text_projection_ = np.ascontiguousarray(vt.T, dtype=np.float32)
            self._embedding_cache = {}
            for a, part in chunks:
                emb = self._project(hashed_all if hashed_all is not None else hashed_chunk(a, part))
                self._embedding_cache.update(zip(part, emb))
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

    def _hashed(self, docs, hashes, n_docs):
        """L2-normalised idf-weighted n-gram counts, signed-hashed into HASH_DIM columns."""
        out = np.empty((n_docs, HASH_DIM), dtype=np.float32)
        weight = self.idf_[_idf_bucket(hashes)]
        np.negative(weight, out=weight, where=(hashes & np.uint32(HASH_DIM)).astype(bool))
        key = (hashes & np.uint32(HASH_DIM - 1)).astype(np.int32)
        key += docs * np.int32(HASH_DIM) if n_docs * HASH_DIM < 2 ** 31 else 0
        cuts = _runs(docs)
        step = 512                      # 4 MB of bins: the scattered adds stay in cache
        starts = np.arange(0, n_docs + step, step, dtype=docs.dtype)
        bounds = [lo + np.searchsorted(docs[lo:hi], starts) for lo, hi in zip(cuts[:-1], cuts[1:])]
        for c, a in enumerate(range(0, n_docs, step)):
            rows = min(step, n_docs - a)
            parts = [(b[c], b[c + 1]) for b in bounds]
            k = np.concatenate([key[i:j] for i, j in parts])
            if n_docs * HASH_DIM < 2 ** 31:
                k -= np.int32(a * HASH_DIM)
            else:
                k += np.concatenate([docs[i:j] - a for i, j in parts]) * np.int32(HASH_DIM)
            w = np.concatenate([weight[i:j] for i, j in parts])
            out[a:a + rows] = np.bincount(k, weights=w, minlength=rows * HASH_DIM
                                          ).reshape(rows, HASH_DIM)
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norm, out=out, where=norm > 0)
        return out

    def _project(self, hashed):
        emb = np.asarray(hashed @ self.text_projection_, dtype=np.float32)
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
        for a in range(0, len(new), EMBED_CHUNK):
            part = new[a:a + EMBED_CHUNK]
            docs, hashes = char_ngram_hashes(part, tuple(self.ngram_range), self.max_chars)
            known.update(zip(part, self._project(self._hashed(docs, hashes, len(part)))))
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
