"""What `aos test` prints: the progress line, the failures, the summary; JSON and JUnit XML.

Everything here is a function of the outcomes alone (no times, no terminal width, no
absolute paths unless the files are outside the working directory), so the same suite
prints the same text on every run. Colour is decided by the caller.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import TextIO

from aos.testing.coverage import Coverage, percent, ranges
from aos.testing.runner import Outcome, Run

_MARKS = {"passed": ".", "failed": "F", "skipped": "s"}
# XML 1.0 has no place for these; a message may carry them (an escape a process printed).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_COLORS = {"passed": "32", "failed": "31", "skipped": "33"}


class Styler:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text


def mark(outcome: Outcome, style: Styler) -> str:
    """The outcome's character on the progress line."""
    return style(_MARKS[outcome.status], _COLORS[outcome.status])


def diff_lines(expected: str, actual: str) -> list[str]:
    """A line diff: `- ` only in expected, `+ ` only in actual, `  ` in both."""
    from difflib import SequenceMatcher  # only a failure needs it: keep start-up short

    a, b = expected.splitlines(), actual.splitlines()
    out: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [f"  {line}" for line in a[i1:i2]]
        else:
            out += [f"- {line}" for line in a[i1:i2]]
            out += [f"+ {line}" for line in b[j1:j2]]
    return out


def failure_text(o: Outcome) -> list[str]:
    """The lines that explain one failed test (without its heading)."""
    lines: list[str] = []
    if o.where:
        lines.append(f"  {o.where}")
        if o.source:
            lines.append(f"      {o.source}")
    message = o.message.splitlines() or [""]
    prefix = "error: " if o.error else ""
    lines.append(f"  {prefix}{message[0]}")
    lines += [f"  {line}" for line in message[1:]]
    if o.expected is not None:
        lines.append(f"    expected: {o.expected}")
    if o.actual is not None:
        lines.append(f"    actual:   {o.actual}")
    if o.expected_block is not None and o.actual_block is not None:
        lines.append("    diff (- expected, + actual):")
        lines += [f"      {line}" for line in diff_lines(o.expected_block, o.actual_block)]
    if len(o.frames) > 1:
        lines.append("    spec traceback:")
        lines += [f"      {frame}" for frame in o.frames]
    if o.output:
        lines.append("  printed:")
        lines += [f"    {line}" for line in o.output.splitlines()]
    for h in o.handler_errors:
        lines.append(f"  handler error in {h.process} ({h.summary}):")
        lines.append(f"    {h.message}")
        if h.frames:
            lines.append("    traceback in the process:")
            lines += [f"      {frame}" for frame in h.frames]
    return lines


def summary(result: Run, style: Styler) -> str:
    """`4 passed, 2 failed, 1 skipped` (skipped only when there are some)."""
    parts = [
        style(f"{result.count('passed')} passed", "32" if result.count("passed") else ""),
        style(f"{result.count('failed')} failed", "31" if result.count("failed") else ""),
    ]
    if result.count("skipped"):
        parts.append(style(f"{result.count('skipped')} skipped", "33"))
    text = ", ".join(parts)
    if result.stopped:
        text += " (stopped at the first failure, -x)"
    return text


def write_text(result: Run, out: TextIO, style: Styler) -> None:
    """Everything after the progress line: failures, coverage, the summary."""
    failed = [o for o in result.outcomes if o.failed]
    for o in failed:
        out.write("\n")
        place = f"{o.file}:{o.line}" if o.line else o.file
        out.write(style(f"FAILED {place}: {o.name}", "31;1") + "\n")
        out.write("\n".join(failure_text(o)) + "\n")
    if result.coverage is not None:
        out.write("\n" + coverage_text(result.coverage) + "\n")
    out.write("\n" + summary(result, style) + "\n")


def coverage_text(cov: Coverage) -> str:
    if not cov.files:
        return "coverage: no process file was loaded by the tests that ran"
    names = sorted(cov.files)
    width = max(len("file"), len("total"), *(len(n) for n in names))
    rows = [f"{'file':<{width}}  lines  run  cover  not run"]
    for name in names:
        f = cov.files[name]
        run = len(f.code & f.run)
        row = f"{name:<{width}}  {len(f.code):>5}  {run:>3}  {f.percent:>4}%"
        rows.append(row + (f"  {ranges(f.missing)}" if f.missing else ""))
    code, run = cov.totals()
    rows.append(f"{'total':<{width}}  {code:>5}  {run:>3}  {percent(run, code):>4}%")
    return "coverage of the process files under test:\n" + "\n".join(f"  {r}" for r in rows)


def as_json(result: Run) -> str:
    """The run as one JSON document (what --json prints)."""
    doc: dict[str, object] = {
        "passed": result.count("passed"),
        "failed": result.count("failed"),
        "skipped": result.count("skipped"),
        "stopped": result.stopped,
        "tests": [asdict(o) for o in result.outcomes],
    }
    if result.coverage is not None:
        doc["coverage"] = {
            name: {"lines": sorted(f.code), "run": sorted(f.code & f.run), "not_run": f.missing}
            for name, f in sorted(result.coverage.files.items())
        }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def as_junit(result: Run) -> str:
    """The run as JUnit XML: one <testsuite> per spec file, one <testcase> per test, a
    <failure> for a failed assertion, an <error> for any other error, <skipped/>."""
    import xml.etree.ElementTree as ET  # only --junit needs it: keep start-up short

    suites: dict[str, list[Outcome]] = {}
    for o in result.outcomes:
        suites.setdefault(o.file, []).append(o)
    root = ET.Element("testsuites", name="aos test")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for file, outcomes in suites.items():
        counts = {
            "tests": len(outcomes),
            "failures": sum(1 for o in outcomes if o.failed and not o.error),
            "errors": sum(1 for o in outcomes if o.failed and o.error),
            "skipped": sum(1 for o in outcomes if o.status == "skipped"),
        }
        for k, v in counts.items():
            totals[k] += v
        attributes = {"name": file, **{k: str(v) for k, v in counts.items()}}
        suite = ET.SubElement(root, "testsuite", attributes)
        classname = file.removesuffix(".lua").replace("/", ".")
        for o in outcomes:
            case = ET.SubElement(
                suite, "testcase", classname=classname, name=o.name, file=o.file, line=str(o.line)
            )
            if o.status == "skipped":
                ET.SubElement(case, "skipped", message=_NOT_XML.sub("", o.message))
            elif o.failed:
                tag = "error" if o.error else "failure"
                first = o.message.splitlines()[0] if o.message else ""
                node = ET.SubElement(case, tag, message=_NOT_XML.sub("", first))
                node.text = _NOT_XML.sub("", "\n".join(failure_text(o)))
            if o.output:
                ET.SubElement(case, "system-out").text = _NOT_XML.sub("", o.output)
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
