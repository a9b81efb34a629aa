"""pib.units against the C++ tests' reference cases (tests/units/*.cpp) and hand-computed NumPy models."""
import threading

import numpy as np
import pytest

import pib

units = pib.units

# A crossbar with every non-ideality off and 40-bit converters (CrossbarDeviceConfig::ideal(40)).
IDEAL_CROSSBAR = {
    "levels": 2**40, "prog_sigma_uS": 0.0, "read_sigma_rel": 0.0, "dac_bits": 40, "adc_bits": 40,
    "d2d_sigma_rel": 0.0, "adc_gain_sigma_rel": 0.0, "adc_offset_sigma_lsb": 0.0, "iv_nonlinearity": 0.0,
    "ir_drop": 0.0, "program_us_per_cell": 0.0, "forward_us_per_sample": 0.0,
}


def optical(**overrides):
    """A small optical unit without device time (its noise stays on unless overridden)."""
    config = {"kind": "optical", "input_dim": 6, "output_dim": 3, "n_speckle": 16, "encoding": "phase8",
              "activation": "tanh", "forward_us_per_sample": 0.0, "deploy_us": 0.0}
    config.update(overrides)
    return config


def digital(input_dim, output_dim, activation="relu"):
    return {"kind": "digital_dense", "input_dim": input_dim, "output_dim": output_dim, "activation": activation}


def dense_model(x, p, output_dim, activation):
    """Z = act(x W + b) with the flat [W row-major, b] layout."""
    w = p[:-output_dim].reshape(x.shape[1], output_dim)
    z = x @ w + p[-output_dim:]
    return {"none": z, "relu": np.maximum(z, 0.0), "tanh": np.tanh(z)}[activation]


def test_registry_lists_and_creates_the_builtin_kinds():
    kinds = units.known_kinds()
    for kind in ("digital_dense", "memristor_dense", "optical"):
        assert kind in kinds
    u = units.make_unit(digital(3, 2), 7)
    assert (u.kind, u.input_dim, u.output_dim, u.parameter_count, u.version, u.seed) == (
        "digital_dense", 3, 2, 8, 0, 7)
    assert u.parameters().shape == (8,)


def test_registry_errors_are_value_errors_naming_the_kind_or_key():
    with pytest.raises(ValueError, match="quantum") as e:
        units.make_unit({"kind": "quantum", "input_dim": 3, "output_dim": 2}, 1)
    assert "digital_dense" in str(e.value)  # lists the known kinds
    with pytest.raises(ValueError, match="kind"):
        units.make_unit({"input_dim": 3}, 1)
    with pytest.raises(ValueError, match="ouput_dim"):
        units.make_unit({**digital(3, 2), "ouput_dim": 2}, 1)
    with pytest.raises(ValueError, match="input_dim"):
        units.make_unit(digital(0, 2), 1)
    with pytest.raises(ValueError, match="activation"):
        units.make_unit(digital(3, 2, "gelu"), 1)
    with pytest.raises(ValueError, match="input_dim"):
        units.make_unit({**digital(3, 2), "input_dim": "three"}, 1)
    with pytest.raises(ValueError, match="unit"):
        units.make_unit({**digital(3, 2), "extra": object()}, 1)  # not JSON


def test_digital_measures_act_xw_plus_b_with_the_flat_layout():
    # tests/units/test_digital.cpp: W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -0.5], x = [1, 0, -1].
    u = units.make_unit(digital(3, 2, "none"), 1)
    p = np.array([1, 2, 3, 4, 5, 6, 0.5, -0.5])
    u.deploy(p)
    assert u.version == 1
    x = np.array([[1.0, 0.0, -1.0]])
    m = u.measure(x, return_measurement=True)
    np.testing.assert_allclose(m.output, [[1 - 5 + 0.5, 2 - 6 - 0.5]])
    np.testing.assert_array_equal(m.Z, m.output)
    np.testing.assert_array_equal(m.response, x)
    assert m.version == 1 and m.pre_pool is None
    np.testing.assert_array_equal(u.parameters(), p)
    np.testing.assert_allclose(u.measure(x), [[-3.5, -4.5]])
    assert not m.output.flags.writeable


def test_digital_initialisation_is_seeded_with_the_documented_scale():
    a, b, c = (units.make_unit(digital(400, 100), s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.parameters(), b.parameters())
    assert not np.array_equal(a.parameters(), c.parameters())
    w = a.parameters()[: 400 * 100]
    assert np.mean(w**2) == pytest.approx(2.0 / 400.0, rel=0.05)  # He: 2 / fan_in for relu
    assert not a.parameters()[-100:].any()


@pytest.mark.parametrize("activation", ["none", "tanh", "relu"])
def test_digital_gradient_is_the_dense_layers_backward(activation):
    u = units.make_unit(digital(4, 3, activation), 3)
    rng = np.random.default_rng(7)
    x, g = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    m = u.measure(x, return_measurement=True)
    grad = u.gradient(m, g)
    z = m.output
    dpre = {"none": g, "tanh": g * (1 - z**2), "relu": g * (z > 0)}[activation]
    np.testing.assert_allclose(grad, np.concatenate([(x.T @ dpre).ravel(), dpre.sum(axis=0)]), atol=1e-12)
    # and finite differences through deploy and measure (tests/units/test_digital.cpp)
    p0, h = u.parameters(), 1e-6
    for k in range(p0.size):
        vals = []
        for s in (h, -h):
            p = p0.copy()
            p[k] += s
            u.deploy(p)
            vals.append(np.sum(u.measure(x) * g))
        assert grad[k] == pytest.approx((vals[0] - vals[1]) / (2 * h), abs=1e-6)


def test_ideal_crossbar_equals_its_model_and_its_gradient_is_the_models():
    # tests/units/test_memristor.cpp: with noise off and high resolution the crossbar is its ideal model.
    rng = np.random.default_rng(1)
    for activation in ("none", "relu"):
        u = units.make_unit({"kind": "memristor_dense", "input_dim": 20, "output_dim": 7,
                             "activation": activation, **IDEAL_CROSSBAR}, 3)
        p = rng.uniform(-1, 1, u.parameter_count)
        u.deploy(p)
        x = rng.uniform(-2, 2, (9, 20))
        u.calibrate(x)
        m = u.measure(x, return_measurement=True)
        assert m.version == 1
        np.testing.assert_allclose(m.response, x, atol=1e-9)
        np.testing.assert_allclose(m.output, dense_model(m.response, p, 7, activation), atol=1e-9)
        g = rng.normal(size=(9, 7))
        dpre = g if activation == "none" else g * (m.output > 0)
        expected = np.concatenate([(m.response.T @ dpre).ravel(), dpre.sum(axis=0)])
        np.testing.assert_allclose(u.gradient(m, g), expected, atol=1e-9)


def test_optical_digital_layer_on_the_measured_frame_and_its_gradient():
    # Broken isomorphism: Z = tanh(S W + b) on the measured camera frame S, and the gradient is that layer's.
    u = units.make_unit(optical(precision="float64"), 11)
    rng = np.random.default_rng(17)
    x = rng.integers(0, 256, (5, 6)) / 255.0
    m = u.measure(x, return_measurement=True)
    assert m.response.shape == (5, 16)
    p = u.parameters()
    np.testing.assert_allclose(m.output, dense_model(m.response, p, 3, "tanh"), atol=1e-12)
    g = rng.normal(size=(5, 3))
    dpre = g * (1 - m.output**2)
    # the W part's GEMM runs in single precision (the frame is 8-bit camera data), b's in double
    expected = np.concatenate([(m.response.T @ dpre).ravel(), dpre.sum(0)])
    grad = u.gradient(m, g)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad[-3:], expected[-3:], atol=1e-12)


def test_same_seed_gives_the_same_measurements_and_a_unit_draws_fresh_noise():
    x = np.random.default_rng(1).integers(0, 256, (32, 6)) / 255.0
    config = optical(camera_bits=8, shot_noise=True, read_noise_dn=1.0)
    a, b, other = units.make_unit(config, 21), units.make_unit(config, 21), units.make_unit(config, 22)
    za1, za2 = a.measure(x), a.measure(x)
    zb1, zb2 = b.measure(x), b.measure(x)
    np.testing.assert_array_equal(za1, zb1)
    np.testing.assert_array_equal(za2, zb2)
    assert not np.array_equal(za1, za2)  # the noise stream moves on
    assert not np.array_equal(other.measure(x), za1)
    # A deploy does not draw from the measurement stream.
    c = units.make_unit(config, 21)
    c.deploy(c.parameters())
    np.testing.assert_array_equal(c.measure(x), za1)


def test_deploy_versions_measurements_and_the_ledger():
    u = units.make_unit(digital(2, 2), 9)
    x = np.ones((3, 2))
    m0 = u.measure(x, return_measurement=True)
    u.deploy(np.zeros(6))
    m1 = u.measure(x, return_measurement=True)
    assert (m0.version, m1.version, u.version) == (0, 1, 1)
    np.testing.assert_array_equal(m1.output, np.zeros((3, 2)))
    ledger = u.ledger()
    assert (ledger["measures"], ledger["deploys"]) == (2, 1)
    assert u.timing == {"forward_us_per_sample": 0.0, "deploy_us": 0.0, "time_scale": 1.0}


def test_bad_shapes_are_value_errors_naming_the_expected_shape():
    u = units.make_unit(digital(3, 2), 1)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        u.measure(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        u.measure(np.zeros(3))
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        u.measure(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        u.calibrate(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"\(8,\)"):
        u.deploy(np.zeros(5))
    with pytest.raises(ValueError, match=r"\(8,\)"):
        u.deploy(np.zeros((8, 1)))
    with pytest.raises(ValueError, match="NaN"):
        u.deploy(np.full(8, np.nan))
    m = u.measure(np.zeros((4, 3)), return_measurement=True)
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        u.gradient(m, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="another unit"):
        units.make_unit(digital(3, 2), 1).gradient(m, np.zeros((4, 2)))


def test_integer_and_list_inputs_are_converted_to_float64():
    u = units.make_unit(digital(3, 2, "none"), 1)
    u.deploy([1, 2, 3, 4, 5, 6, 0.5, -0.5])
    np.testing.assert_allclose(u.measure([[1, 0, -1]]), [[-3.5, -4.5]])


def test_faults_cross_with_the_units_rules():
    with pytest.raises(ValueError, match="no fault model"):
        units.make_unit(digital(3, 2), 1).inject_faults({"adc_channels": [{"channel": 0, "mode": "zero"}]})
    u = units.make_unit({"kind": "memristor_dense", "input_dim": 4, "output_dim": 3, "activation": "none",
                         **IDEAL_CROSSBAR}, 3)
    x = np.random.default_rng(2).uniform(-1, 1, (6, 4))
    before = u.measure(x)
    u.inject_faults({"adc_channels": [{"channel": 1, "mode": "zero"}]})
    after = u.measure(x)
    np.testing.assert_allclose(after[:, [0, 2]], before[:, [0, 2]], atol=1e-9)
    bias = u.parameters()[-3:]
    np.testing.assert_allclose(after[:, 1], bias[1], atol=1e-9)  # the channel reads 0; the bias is digital


def test_measures_from_threads_match_sequential_ones():
    config = optical(camera_bits=8, shot_noise=True, read_noise_dn=1.0)
    x = np.random.default_rng(3).uniform(0, 1, (64, 6))
    seq = units.make_unit(config, 5)
    expected = [seq.measure(x) for _ in range(4)]
    par = units.make_unit(config, 5)
    results = []
    threads = [threading.Thread(target=lambda: results.append(par.measure(x))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The noise stream is drawn by one measure at a time: the set of results is the sequential one.
    assert sorted(r.tobytes() for r in results) == sorted(e.tobytes() for e in expected)
