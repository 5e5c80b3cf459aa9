import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_estimator,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from matching import CityFeatures, LevelThresholds
from matching.datasets import make_round


def test_level_thresholds_passes_sklearn_checks():
    check_estimator(LevelThresholds(), on_skip=None)


@pytest.mark.parametrize("check", [check_no_attributes_set_in_init, check_get_params_invariance,
                                   check_set_params])
def test_city_features_api_checks(check):
    check("CityFeatures", CityFeatures())


def test_city_features_default_constructible():
    check_parameters_default_constructible("CityFeatures", CityFeatures())


def test_city_features_fit_transform_contract():
    cities = make_round(30, n_areas=5, random_state=3)
    est = CityFeatures(random_state=0)
    with pytest.raises(NotFittedError):
        est.transform(cities)
    assert est.fit(cities) is est
    X = est.transform(cities)
    assert X.shape == (30, est.n_features_out_) == (30, len(est.get_feature_names_out()))
    np.testing.assert_array_equal(X, clone(est).fit(cities).transform(cities))
    # Texts are L2-normalised embeddings (or zero when empty).
    norms = np.linalg.norm(X[:, est.feature_slices_["practices"]], axis=1)
    assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))


def test_text_overlap_across_languages(city):
    texts = ["open data portal and digital services", "portail de données ouvertes numériques",
             "portal de datos abiertos digitales", "portal de dados abertos digitais",
             "waste collection trucks"]
    cities = [city(f"c{i}", practices=t) for i, t in enumerate(texts)]
    est = CityFeatures().fit(cities)
    emb = est.transform(cities)[:, est.feature_slices_["practices"]]
    sim = emb @ emb.T
    # French, Spanish and Portuguese descriptions of open data are closer to each
    # other than to an unrelated text.
    assert sim[1, 2] > sim[1, 4] and sim[2, 3] > sim[2, 4] and sim[1, 3] > sim[3, 4]


TRANSLATIONS = [
    ("open data portal with public datasets", "portail de données ouvertes avec des jeux de données publics",
     "portal de datos abiertos con conjuntos de datos públicos",
     "portal de dados abertos com conjuntos de dados públicos"),
    ("citizen participation and participatory budgeting", "participation citoyenne et budget participatif",
     "participación ciudadana y presupuesto participativo", "participação cidadã e orçamento participativo"),
    ("smart mobility and public transport information", "mobilité intelligente et information transport public",
     "movilidad inteligente e información de transporte público",
     "mobilidade inteligente e informação de transporte público"),
    ("digital strategy and innovation plan", "stratégie numérique et plan d'innovation",
     "estrategia digital y plan de innovación", "estratégia digital e plano de inovação"),
    ("cybersecurity training for municipal staff", "formation à la cybersécurité du personnel municipal",
     "formación en ciberseguridad del personal municipal", "formação em cibersegurança do pessoal municipal"),
    ("energy efficiency of public buildings", "efficacité énergétique des bâtiments publics",
     "eficiencia energética de los edificios públicos", "eficiência energética dos edifícios públicos"),
]


def test_translated_pairs_stay_closer_than_unrelated_texts(city):
    # en / fr / es / pt translations of six needs, among many unrelated texts: the
    # hashed n-gram embedding keeps the overlap that TF-IDF found.
    texts = [t for group in TRANSLATIONS for t in group]
    filler = make_round(400, random_state=7)
    cities = [city(f"t{i}", practices=t) for i, t in enumerate(texts)]
    cities += [c for c in filler]
    est = CityFeatures(random_state=0).fit(cities)
    emb = est.transform(cities[:len(texts)])[:, est.feature_slices_["practices"]]
    sim = emb @ emb.T
    topic = np.repeat(np.arange(len(TRANSLATIONS)), 4)
    same = topic[:, None] == topic[None, :]
    off = ~np.eye(len(texts), dtype=bool)
    # Every text's nearest other text is one of its translations, for most texts...
    nearest = np.argmax(np.where(off, sim, -np.inf), axis=1)
    assert np.mean(topic[nearest] == topic) >= 0.8
    # ... and translations are on average far closer than texts on other topics.
    assert sim[same & off].mean() > sim[~same].mean() + 0.2


def test_text_module_doctests():
    import doctest

    import matching.text

    failures, _ = doctest.testmod(matching.text, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_tokenize_counts_every_word_across_chunks_and_scripts():
    # Enough text for several chunks, with accents, Arabic, an emoji (a surrogate pair
    # in UTF-16: characters outside the BMP count as word characters) and a text longer
    # than max_chars: counts match a plain Python split.
    import re

    from matching.text import CHUNK_UNITS, tokenize

    rng = np.random.default_rng(0)
    vocab = ["données", "ouvertes", "Open", "open", "البيانات", "x1", "😀ok", "São", "a"]
    texts = [" ".join(rng.choice(vocab, size=rng.integers(0, 60))) + rng.choice([".", "!", ""])
             for _ in range(3 * CHUNK_UNITS // 200)]
    texts.append("open " * 1000)
    counts, words = tokenize(texts, max_chars=2000)
    dense = counts.toarray()
    for i, text in enumerate(texts):
        expected = {}
        for w in re.findall(r"(?:[^\W_]|[\U00010000-\U0010FFFF])+", text[:2000]):
            expected[w] = expected.get(w, 0) + 1
        got = {words[j]: dense[i, j] for j in np.flatnonzero(dense[i])}
        assert got == expected, i


def test_unseen_texts_embed_like_fitted_ones(city):
    # transform() embeds texts it did not see at fit time the same way as fitted ones.
    cities = [city(f"c{i}", practices=t) for i, t in enumerate(
        ["open data portal", "portail de données ouvertes", "smart mobility", "waste trucks"])]
    est = CityFeatures(random_state=0).fit(cities)
    fitted = est.transform(cities)
    again = est.transform([city("x", practices="open data portal"), city("y", practices="new words")])
    np.testing.assert_allclose(again[0], fitted[0], atol=1e-6)
    s = est.feature_slices_["practices"]
    assert abs(np.linalg.norm(again[1, s]) - 1) < 1e-5
