"""The switches every notebook reads: HEPCOURSE_SMOKE and HEPCOURSE_STRICT_CLAIMS."""
import pytest

import hepcourse


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_smoke_switch(value, expected, monkeypatch):
    monkeypatch.setenv("HEPCOURSE_SMOKE", value)
    assert hepcourse.smoke() is expected
    assert hepcourse.size(1_000_000, 1000) == (1000 if expected else 1_000_000)


def test_smoke_switch_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("HEPCOURSE_SMOKE", "maybe")
    with pytest.raises(ValueError, match="HEPCOURSE_SMOKE='maybe' is not understood"):
        hepcourse.smoke()


@pytest.mark.parametrize("value, expected", [(None, False), ("1", True), ("off", False)])
def test_strict_claims_switch(value, expected, monkeypatch):
    from hepcourse import config

    if value is None:
        monkeypatch.delenv("HEPCOURSE_STRICT_CLAIMS", raising=False)
    else:
        monkeypatch.setenv("HEPCOURSE_STRICT_CLAIMS", value)
    assert config.strict_claims() is expected
