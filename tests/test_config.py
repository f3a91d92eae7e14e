"""The one switch every notebook reads: HEPCOURSE_SMOKE."""
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
