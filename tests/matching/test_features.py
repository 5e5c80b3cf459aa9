import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_estimator, check_get_params_invariance, check_no_attributes_set_in_init,
    check_parameters_default_constructible, check_set_params)

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
