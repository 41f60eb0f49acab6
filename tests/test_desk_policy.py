"""policies/desk.yaml is checked at load, with errors that name the file and the key."""

from pathlib import Path

import pytest

from mdp import desk_policy

SHIPPED = Path(__file__).resolve().parents[1] / "policies" / "desk.yaml"


def test_shipped_policy_is_valid_and_safe():
    policy = desk_policy.load(SHIPPED)
    assert policy["terminals"] is False
    assert policy["text_max_bytes"] <= 1_000_000


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("terminals: false", "terminals: maybe"), "terminals must be true or false"),
    (lambda t: t.replace("text_max_bytes: 100000", "text_max_bytes: -5"), "text_max_bytes must be greater than zero"),
    (lambda t: t.replace("paste_in: true\n", ""), "missing key 'paste_in'"),
    (lambda t: t + "downloads: true\n", "unknown key 'downloads'"),
    (lambda t: t.replace("msg_rate_limit_per_s: 100", "msg_rate_limit_per_s: lots"), "kernel_output.msg_rate_limit_per_s must be a whole number"),
    (lambda t: t + "  - [", "not valid YAML"),
])
def test_bad_policy_is_named(tmp_path, edit, message):
    bad = tmp_path / "desk.yaml"
    bad.write_text(edit(SHIPPED.read_text()))
    with pytest.raises(desk_policy.PolicyFileError) as err:
        desk_policy.load(bad)
    assert str(bad) in str(err.value) and message in str(err.value)
