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
