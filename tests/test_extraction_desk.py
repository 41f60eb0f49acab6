"""An extraction as a project member sees it: in a real desk, read-only, readable by Python and R."""

from __future__ import annotations

import json

import pytest

from tests.harness import desk_container, run_in_desk

pytestmark = pytest.mark.docker

SPEC = {
    "version": 1, "period": {"first": "2015-01", "last": "2015-02"}, "format": "dta",
    "registers": {"individuals": {"variables": {"individual_IDnumber": {}, "i_gender": {}, "i_age": {}}}},
}


@pytest.fixture(scope="module")
def desk(platform, tmp_path_factory):
    spec = tmp_path_factory.mktemp("spec") / "open1.json"
    spec.write_text(json.dumps(SPEC))
    platform.mdp("warehouse", "synth", "--persons", "150", "--first", "2015-01", "--last", "2015-02")
    platform.mdp("project", "set-spec", "open1", str(spec))
    platform.mdp("extract", "open1", "--jobs", "1")
    alice = platform.session("alice")
    assert alice.login().status_code == 302
    alice.start_desk("open1")
    return desk_container("alice", "open1")


def test_the_desk_reads_the_files_with_their_labels_in_python(desk):
    code, out = run_in_desk(desk, """
import pyreadstat
d, m = pyreadstat.read_dta('/project/IN/individuals_201501.dta')
print(m.variable_value_labels['i_gender'], m.variable_value_labels['i_age'][0], len(d) > 0)""")
    assert code == 0, out
    assert "{1: 'Man', 2: 'Woman'} less than 20 years True" in out


def test_the_desk_reads_the_files_with_their_labels_in_r_haven(desk):
    res = desk.exec_run(["Rscript", "-e", "d <- haven::read_dta('/project/IN/individuals_201502.dta'); "
                         "g <- attr(d$i_gender, 'labels'); cat(names(g), g, attr(d$i_age, 'label'), "
                         "is.numeric(d$individual_IDnumber), sep = '|')"])
    out = res.output.decode(errors="replace")
    assert res.exit_code == 0, out
    assert "Man|Woman|1|2|Age at the end of the month (five_year_bands)|TRUE" in out


def test_the_extraction_is_read_only_in_the_desk(desk):
    for code in ("open('/project/IN/individuals_201501.dta', 'ab')", "import os; os.remove('/project/IN/manifest.json')",
                 "open('/project/IN/new.dta', 'w')"):
        status, out = run_in_desk(desk, code)
        assert status != 0 and ("Read-only file system" in out or "Permission denied" in out), (code, out)
    status, out = run_in_desk(desk, "import os; print(sorted(os.listdir('/project')), "
                                    "os.path.exists('/project/.IN.staging'))")
    assert status == 0 and "False" in out and "secret" not in out
