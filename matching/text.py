"""Multilingual embeddings of free texts, in time linear in the text volume.

A text is split into words (runs of letters and digits) in numpy, a chunk of texts at
a time so that the passes over the characters stay in cache; the words are counted per
text and *deduplicated*: the character n-grams (3-5 within word boundaries, lower case,
accents stripped — scikit-learn's ``char_wb``) are worked out once per distinct word,
not once per occurrence. A text's vector is then ``counts @ word_vectors``:

* each n-gram is hashed with a random sign into ``HASH_DIM`` columns (a sparse random
  projection) and weighted by its inverse collection frequency (``IDF_BUCKETS``);
* the hashed space is projected on the ``components`` principal directions of (a sample
  of ``SVD_SAMPLE`` of) the texts, L2-normalised rows weighted by the square root of their
  multiplicity (:func:`principal_directions`, a randomized range finder with one power
  iteration);
* the embedding is the L2-normalised projection.

Normalising before a linear projection does not change the direction after it, so a text
costs one sparse product with the word vectors, whatever its length; each text counts for
at most ``max_chars`` characters.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

__all__ = ["HASH_DIM", "IDF_BUCKETS", "SVD_SAMPLE", "TextVectors", "char_ngram_hashes", "tokenize"]

HASH_DIM = 1024        # signed-hash space of the n-grams (a sparse random projection)
IDF_BUCKETS = 1 << 20  # buckets of the collection frequencies behind the idf weights
SVD_SAMPLE = 512       # texts whose principal directions make the projection
CHUNK_UNITS = 1 << 16  # UTF-16 code units tokenised at once (the passes stay in cache)
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd: the polynomial word hash base (mod 2**64)

_FOLDED = {0: 0}  # code point -> folded code point, filled for the characters met so far
_CACHE = {}


def _fold_char(c):
    import unicodedata

    ch = chr(c)
    if not ch.isalnum():
        return 32
    base = "".join(x for x in unicodedata.normalize("NFKD", ch.lower()) if not unicodedata.combining(x))
    return ord(base[0]) if len(base) >= 1 else c


def _fold_table(present):
    """Code point -> lower-case base letter (accents stripped), 32 for non-word characters.

    Only the code points in ``present`` are worked out (once per process).
    """
    for c in present.tolist():
        if c not in _FOLDED:
            _FOLDED[c] = _fold_char(c)
    table = np.full(0x10000, 32, dtype=np.uint32)
    table[present] = [_FOLDED[c] for c in present.tolist()]
    return table


def _word_units():
    """Bool table over UTF-16 code units: part of a word (alphanumeric, or half of a
    character outside the Basic Multilingual Plane). Built once per process."""
    table = _CACHE.get("word")
    if table is None:
        table = np.frombuffer(bytes(chr(c).isalnum() for c in range(0x10000)), dtype=bool).copy()
        table[0xD800:0xE000] = True
        _CACHE["word"] = table
    return table


def _is_word(u, table):
    """Word mask of UTF-16 code units: ASCII letters and digits by arithmetic, others by table."""
    x = u | np.uint16(0x20)
    x -= np.uint16(0x61)
    w = x < 26
    x = u - np.uint16(0x30)
    w |= x < 10
    high = np.flatnonzero(u >= 0x80)
    if len(high):
        w[high] = table[u[high]]
    return w


def _powers(n):
    """``R ** k`` and ``R ** -k`` for k < n, modulo 2**64, R = ``_HASH_BASE`` (cached)."""
    pw = _CACHE.get("powers")
    if pw is None or pw.shape[1] < n:
        inverse = np.uint64(pow(int(_HASH_BASE), -1, 2 ** 64))
        pw = np.empty((2, max(n, CHUNK_UNITS * 2)), dtype=np.uint64)
        pw[0], pw[1] = _HASH_BASE, inverse
        pw[:, 0] = 1
        np.cumprod(pw, axis=1, out=pw)
        _CACHE["powers"] = pw
    return pw


def _ngrams_of_codes(t, ngram_range):
    """(doc, hash) of the n-grams of a folded code array ``" a b \\0 c "`` (0 separates docs)."""
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
    return np.concatenate(docs), np.concatenate(hashes)


def _fold(codes):
    present = np.unique(codes)
    small = present[present < 0x10000]
    table = _fold_table(small.astype(np.int64))
    return np.where(codes < 0x10000, table[np.minimum(codes, 0xFFFF)], codes).astype(np.uint32)


def char_ngram_hashes(texts, ngram_range=(3, 5), max_chars=2000):
    """32-bit hashes of the character n-grams of each text, within word boundaries.

    Like scikit-learn's ``char_wb`` analyser (lower case, accents stripped, words padded
    with a space, n-grams never across words), vectorised over the corpus in numpy;
    each text counts for at most ``max_chars`` characters. The embedding hashes the
    n-grams of each distinct *word* this way (:func:`tokenize` finds the words).

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
    return _ngrams_of_codes(_fold(t), ngram_range)


def tokenize(texts, max_chars=2000):
    """The distinct words of ``texts`` and how often each occurs in each text.

    Returns
    -------
    counts : scipy.sparse.csr_matrix of shape (n_texts, n_words), float32
    words : list of str
        The distinct words (as written: case and accents are folded later, per word),
        in the order of their hashes.

    Examples
    --------
    >>> counts, words = tokenize(["open data, open portal", "données"])
    >>> sorted(zip(words, counts.toarray()[0].tolist()))
    [('data', 1.0), ('données', 0.0), ('open', 2.0), ('portal', 1.0)]
    """
    word = _word_units()
    lengths = np.fromiter((min(len(t), max_chars) + 1 for t in texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    cuts = [0]
    while cuts[-1] < len(texts):           # chunks of whole texts, about CHUNK_UNITS long
        a = cuts[-1]
        target = (ends[a - 1] if a else 0) + CHUNK_UNITS
        cuts.append(max(a + 1, int(np.searchsorted(ends, target, side="right"))))
    hashes, docs, pools, where = [], [], [], []
    offset = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        text = "\x00" + "\x00".join(t[:max_chars] for t in texts[a:b]) + "\x00"
        u = np.frombuffer(text.encode("utf-16-le"), dtype=np.uint16)
        w = _is_word(u, word)
        edges = np.flatnonzero(np.not_equal(w[1:], w[:-1])) + 1
        st, en = edges[0::2], edges[1::2]
        if len(u) == len(text):           # no surrogate pair: text starts from the lengths
            starts = ends[a:b] - lengths[a:b] - (ends[a] - lengths[a]) + 1
            doc = np.searchsorted(starts, st, side="right") - 1 + a
        else:
            doc = np.searchsorted(np.flatnonzero(u == 0), st, side="right") - 1 + a
        # Polynomial hash of each word, position-free: R**-s * sum_k u[k] R**k.
        pw = _powers(len(u))
        acc = np.multiply(u, pw[0, :len(u)], dtype=np.uint64)
        np.cumsum(acc, out=acc)
        h = acc[en - 1] - acc[st - 1]
        h *= pw[1, st]
        hashes.append(h)
        docs.append(doc.astype(np.int32))
        pools.append(u)
        where.append(np.stack([st + offset, en + offset]))
        offset += len(u)
    if not hashes:
        return sp.csr_matrix((len(texts), 0), dtype=np.float32), []
    h = np.concatenate(hashes)
    doc = np.concatenate(docs)
    vocab = np.sort(h)
    vocab = vocab[np.r_[True, vocab[1:] != vocab[:-1]]] if len(vocab) else vocab
    ids = np.searchsorted(vocab, h)
    # Counts per (text, word): tokens come text by text, so sorting the keys sorts the rows.
    key = np.sort(doc.astype(np.int64) * len(vocab) + ids)
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    at = np.flatnonzero(first)
    counts = np.diff(np.r_[at, len(key)]).astype(np.float32)
    rows, cols = np.divmod(key[at], len(vocab)) if len(vocab) else (at, at)
    indptr = np.searchsorted(rows, np.arange(len(texts) + 1))
    matrix = sp.csr_matrix((counts, cols.astype(np.int32), indptr), shape=(len(texts), len(vocab)))
    # One occurrence of each distinct word gives its characters.
    pos = np.empty(len(vocab), dtype=np.int64)
    pos[ids] = np.arange(len(ids))
    se = np.concatenate(where, axis=1)[:, pos]
    pool = np.concatenate(pools).tobytes()
    words = [pool[2 * s:2 * e].decode("utf-16-le") for s, e in se.T.tolist()]
    return matrix, words


def word_hashes(words, ngram_range=(3, 5)):
    """(word, n-gram hash) of every n-gram of each word (folded, padded with spaces)."""
    return char_ngram_hashes(words, ngram_range, max_chars=max((len(w) for w in words), default=0))


def principal_directions(x, components, random_state=None):
    """Orthonormal ``(n_features, components)`` basis of the dominant row space of ``x``.

    A randomized range finder (Halko et al.) with one power iteration and 8 extra
    directions, then the exact SVD of the small projected matrix; exact when ``x`` has
    at most ``components`` rows.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.shape[0] <= components:
        _, sv, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
        rank = int(np.sum(sv > 1e-10 * max(sv.max(initial=0.0), 1e-300)))
        return np.ascontiguousarray(vt[:max(rank, 1)].T, dtype=np.float32)
    rng = np.random.default_rng(random_state)
    k = min(components + 8, x.shape[0], x.shape[1])
    q = x.T @ rng.standard_normal((x.shape[0], k), dtype=np.float32)     # features x k
    q = scipy.linalg.qr(q, mode="economic", check_finite=False)[0]      # (3x numpy's qr here)
    q = scipy.linalg.qr(x.T @ (x @ q), mode="economic", check_finite=False)[0]  # one power iteration
    # Right singular vectors of the small x @ q: eigenvectors of its k x k Gram matrix.
    b = (x @ q).astype(np.float64)
    _, vec = np.linalg.eigh(b.T @ b)
    return np.ascontiguousarray((q @ vec[:, ::-1][:, :components].astype(np.float32)), dtype=np.float32)


class TextVectors:
    """The fitted text embedding of a round: idf weights and projection (see module doc)."""

    def __init__(self, components=64, ngram_range=(3, 5), max_chars=2000, random_state=None):
        self.components = components
        self.ngram_range = tuple(ngram_range)
        self.max_chars = max_chars
        self.random_state = random_state
        self.idf = None
        self.projection = None

    def _word_matrix(self, words):
        """Sparse (n_words, HASH_DIM): signed, idf-weighted n-gram counts of each word."""
        wid, hashes = word_hashes(words, self.ngram_range)
        weight = self.idf[(hashes >> np.uint32(12)).astype(np.intp)]
        np.negative(weight, out=weight, where=(hashes & np.uint32(HASH_DIM)).astype(bool))
        col = (hashes & np.uint32(HASH_DIM - 1)).astype(np.int32)
        return sp.csr_matrix((weight, (wid, col)), shape=(len(words), HASH_DIM), dtype=np.float32)

    def fit_embed(self, texts, multiplicity):
        """Learn the idf weights and the projection from distinct ``texts``; return their embeddings."""
        counts, words = tokenize(texts, self.max_chars)
        mult = np.asarray(multiplicity, dtype=np.float64)
        wid, hashes = word_hashes(words, self.ngram_range)
        # Inverse collection frequency of each n-gram bucket (occurrences counted with the
        # multiplicity of their text): common n-grams weigh little.
        per_word = np.asarray(counts.T @ mult).ravel()
        bucket = (hashes >> np.uint32(12)).astype(np.intp)
        used, at = np.unique(bucket, return_inverse=True)
        cf = np.bincount(at, weights=per_word[wid], minlength=len(used))
        total = 1.0 + mult.sum()
        self.idf = np.full(IDF_BUCKETS, np.log(total) + 1.0, dtype=np.float32)   # unseen n-grams
        self.idf[used] = np.log(total / (1.0 + cf)) + 1.0
        vectors = self._word_matrix(words)
        n = len(texts)
        if n <= SVD_SAMPLE:
            sample = np.arange(n)
        else:
            sample = np.sort(np.random.default_rng(self.random_state).choice(n, SVD_SAMPLE, replace=False))
        rows = (counts[sample] @ vectors).toarray()
        norm = np.linalg.norm(rows, axis=1, keepdims=True)
        rows *= (np.sqrt(mult[sample])[:, None] / np.maximum(norm, 1e-30)).astype(np.float32)
        self.projection = principal_directions(rows, self.components, self.random_state)
        return self._finish(counts, vectors)

    def embed(self, texts):
        """L2-normalised embeddings of ``texts`` (zero rows for texts without a word)."""
        counts, words = tokenize(texts, self.max_chars)
        if not words:
            return np.zeros((len(texts), self.projection.shape[1]), dtype=np.float32)
        return self._finish(counts, self._word_matrix(words))

    def _finish(self, counts, vectors):
        emb = np.asarray(counts @ np.asarray(vectors @ self.projection), dtype=np.float32)
        norm = np.linalg.norm(emb, axis=1, keepdims=True)
        np.divide(emb, norm, out=emb, where=norm > 0)
        return emb
