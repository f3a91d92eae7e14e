"""check.claim: a science guard that fails the instructor builds and warns a student."""
from __future__ import annotations

import numpy as np
import pytest

from hepcourse import config
from hepcourse.course import check


@pytest.fixture
def full_size(monkeypatch):
    """Full-size mode, strict claims off (a student's run)."""
    monkeypatch.setenv("HEPCOURSE_SMOKE", "0")
    monkeypatch.delenv("HEPCOURSE_STRICT_CLAIMS", raising=False)
    return monkeypatch


def test_a_claim_that_holds_prints_one_line(full_size, capsys):
    assert check.claim("the CNN's AUC minus the feature's AUC", np.float64(0.0312), low=0) is True
    assert capsys.readouterr().out == "✔ the CNN's AUC minus the feature's AUC: 0.0312 (expected ≥ 0)\n"
    assert check.claim("the fitted width", 2.49, 2.4, 2.6)
    assert capsys.readouterr().out == "✔ the fitted width: 2.49 (expected between 2.4 and 2.6)\n"
    assert check.claim("the calibration error", 0.01, high=0.02)
    assert "(expected ≤ 0.02)" in capsys.readouterr().out


@pytest.mark.parametrize("value, low, high", [(0.5, 0.6, 0.9), (0.95, 0.6, 0.9), (-0.01, 0, None),
                                               (float("nan"), 0, None)])
def test_a_failed_claim_warns_a_student_and_goes_on(full_size, capsys, value, low, high):
    assert check.claim("the network's accuracy", value, low, high) is False
    out = capsys.readouterr().out
    assert out.startswith("⚠ the network's accuracy: measured ")
    assert f"{value:.4g}" in out and f"expected {check.claims.expected_range(low, high)}" in out
    assert "another CPU" in out and "real data" in out and "conclusion" in out


def test_strict_claims_fail_the_build(full_size, capsys):
    full_size.setenv("HEPCOURSE_STRICT_CLAIMS", "1")
    with pytest.raises(AssertionError, match=r"the network's accuracy: measured 0\.5, expected between 0\.6 and 0\.9"):
        check.claim("the network's accuracy", 0.5, 0.6, 0.9)
    assert check.claim("the network's accuracy", 0.7, 0.6, 0.9)  # strict, but true: no error


def test_real_data_never_raises(full_size, capsys):
    full_size.setenv("HEPCOURSE_STRICT_CLAIMS", "1")
    assert check.claim("the fitted Z mass on CMS open data", 80.0, 91.0, 91.4, real_data=True) is False
    assert capsys.readouterr().out.startswith("⚠ the fitted Z mass on CMS open data: measured 80")


def test_smoke_mode_checks_nothing_unless_asked(full_size, capsys):
    full_size.setenv("HEPCOURSE_SMOKE", "1")
    full_size.setenv("HEPCOURSE_STRICT_CLAIMS", "1")
    assert check.claim("the AUC", 0.5123, low=0.9) is True
    assert capsys.readouterr().out == "· smoke mode, not checked: the AUC (measured 0.5123)\n"
    with pytest.raises(AssertionError):  # smoke=True: a claim that holds even on tiny data
        check.claim("the AUC", 0.5123, low=0.9, smoke=True)


def test_strict_flag_is_read_like_the_other_flags(monkeypatch):
    monkeypatch.setenv("HEPCOURSE_STRICT_CLAIMS", "yes")
    assert config.strict_claims()
    monkeypatch.setenv("HEPCOURSE_STRICT_CLAIMS", "maybe")
    with pytest.raises(ValueError, match="HEPCOURSE_STRICT_CLAIMS"):
        config.strict_claims()
    assert "HEPCOURSE_STRICT_CLAIMS" in config.VARIABLES


def test_a_claim_needs_words_and_a_number(full_size):
    with pytest.raises(ValueError):
        check.claim("", 1.0, low=0)
    with pytest.raises(TypeError):
        check.claim("the AUC", "0.9", low=0)
