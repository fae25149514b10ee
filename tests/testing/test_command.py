"""`aos test` as a user runs it: a subprocess in the repository, on examples/token (which
passes) and on tests/testing/broken_token (a copy of it with four bugs, whose report is checked
word for word), plus its JUnit and JSON outputs, its errors and its determinism."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.cli import run_aos
from tests.support.specs import ROOT

BROKEN = "tests/testing/broken_token"

PASSING_OUTPUT = "...........s\n\n11 passed, 0 failed, 1 skipped\n"

# What `aos test tests/testing/broken_token` prints, word for word (NO_COLOR).
BROKEN_OUTPUT = (ROOT / BROKEN / "expected_output.txt").read_text(encoding="utf-8")


def aos_test(*args: str, home: Path) -> tuple[int, str, str]:
    done = run_aos("test", *args, home=home, cwd=ROOT)
    return done.returncode, done.stdout, done.stderr


def test_the_example_passes_and_touches_no_data_directory(tmp_path: Path) -> None:
    code, out, err = aos_test("examples/token", home=tmp_path)
    assert (code, out, err) == (0, PASSING_OUTPUT, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no data dir, no config


def test_the_broken_copy_fails_with_its_names_lines_and_diffs_word_for_word(
    tmp_path: Path,
) -> None:
    code, out, err = aos_test(BROKEN, home=tmp_path)
    assert (code, err) == (1, "")
    assert out == BROKEN_OUTPUT


def test_the_broken_copy_holds_the_examples_spec_unchanged() -> None:
    example = (ROOT / "examples/token/spec/token_spec.lua").read_text(encoding="utf-8")
    assert (ROOT / BROKEN / "spec/token_spec.lua").read_text(encoding="utf-8") == example


def test_the_same_suite_prints_the_same_in_two_os_processes(tmp_path: Path) -> None:
    first = aos_test(BROKEN, "--cov", home=tmp_path)
    second = aos_test(BROKEN, "--cov", home=tmp_path)
    assert first == second and first[0] == 1
    third = aos_test("examples/token", "--json", home=tmp_path)
    assert third == aos_test("examples/token", "--json", home=tmp_path)


def test_junit_output_is_valid_junit_xml(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    code, _, _ = aos_test(BROKEN, "examples/token", "--junit", str(report), home=tmp_path)
    assert code == 1
    root = ET.fromstring(report.read_text(encoding="utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "examples/token/spec/shop_spec.lua",
        "examples/token/spec/token_spec.lua",
        f"{BROKEN}/spec/token_spec.lua",
    ]
    for suite in suites:
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        for kind, attribute in (("failure", "failures"), ("error", "errors")):
            assert suite.get(attribute) == str(sum(len(c.findall(kind)) for c in cases))
        assert suite.get("skipped") == str(sum(len(c.findall("skipped")) for c in cases))
        for case in cases:
            assert case.get("classname") and case.get("name") and case.get("line", "").isdigit()
            assert all(c.tag in ("failure", "error", "skipped", "system-out") for c in case)
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "20",
        "4",
        "0",
        "2",
    )
    broken = suites[2].findall("testcase")
    failure = broken[1].find("failure")
    assert broken[1].get("name") == "token mint credits the recipient and the supply"
    assert failure is not None and failure.get("message") == (
        "assert.equal failed: the values differ"
    )
    assert failure.text is not None and "expected: 100" in failure.text


def test_json_output_has_every_outcome(tmp_path: Path) -> None:
    code, out, _ = aos_test(BROKEN, "--json", home=tmp_path)
    doc = json.loads(out)
    assert code == 1
    assert (doc["passed"], doc["failed"], doc["skipped"], doc["stopped"]) == (3, 4, 1, False)
    statuses = [(t["name"], t["status"]) for t in doc["tests"]]
    assert statuses[:2] == [
        ("token answers Info with its name and ticker", "passed"),
        ("token mint credits the recipient and the supply", "failed"),
    ]
    failed = doc["tests"][1]
    assert (failed["where"], failed["expected"], failed["actual"]) == (
        f"{BROKEN}/spec/token_spec.lua:25",
        "100",
        "0",
    )


def test_k_and_x_narrow_the_run(tmp_path: Path) -> None:
    code, out, _ = aos_test(BROKEN, "-k", "INFO", home=tmp_path)
    assert (code, out) == (0, ".\n\n1 passed, 0 failed\n")
    code, out, _ = aos_test(BROKEN, "-x", home=tmp_path)
    assert code == 1 and out.startswith(".F\n")
    assert out.endswith("1 passed, 1 failed (stopped at the first failure, -x)\n")


def test_coverage_lists_the_lines_never_run(tmp_path: Path) -> None:
    code, out, _ = aos_test("examples/token", "-k", "mint", "--cov", home=tmp_path)
    assert code == 0
    table = out.split("coverage of the process files under test:\n", 1)[1]
    # Both mint tests ran the Mint handler's two branches and Balance (through dry-runs);
    # nothing sent Info, Balances or Transfer, and no Quantity was ever wrong.
    assert table.splitlines()[:3] == [
        "  file                      lines  run  cover  not run",
        "  examples/token/token.lua     42   25    59%  27, 38-41, 45, 55, 59-64, 66-69",
        "  total                        42   25    59%",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "error: aos test: nowhere: no such file or directory\n"),
        (
            [],
            "error: aos test: no ./spec or ./test directory here; give the spec files or "
            "directories to run (aos test PATH ...)\n",
        ),
        (["docs"], "error: aos test: no spec files (*_spec.lua, test_*.lua) under docs\n"),
    ],
)
def test_bad_paths_are_one_sentence_without_a_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, out, err = aos_test(*args, home=tmp_path)
    assert (code, out, err) == (1, "", message)
