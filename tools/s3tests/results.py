"""Reading an s3-tests run (junit xml) and checking it against the known-failures file.

Pure functions, no cluster: ``tools.s3tests.runner`` and ``tools.s3tests.report``
use them, and tests/tools/test_s3tests_tools.py tests them.

The known-failures file (tests/s3tests/known-failures.txt) has one test a line::

    test_name[param-id]  # why it fails

Blank lines and lines starting with ``#`` are comments (section headings
``# == cause ==`` group the tests). Every entry needs a reason after ``#``. A
reason starting with ``[flaky]`` marks a test whose outcome depends on timing:
it may pass without failing the run (it is still reported).

Outcomes: ``passed``, ``failed``, ``error`` (setup/teardown broke) and ``skipped``.
Failures and errors are both *failing*; a skip is never a pass and never a failure.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

PASSED, FAILED, ERROR, SKIPPED = 'passed', 'failed', 'error', 'skipped'
FAILING = (FAILED, ERROR)


class KnownFailuresError(ValueError):
    """The known-failures file is malformed (the message names the line)."""


@dataclass(frozen=True)
class KnownFailure:
    name: str
    reason: str
    section: str
    line: int

    @property
    def flaky(self) -> bool:
        return self.reason.startswith('[flaky]')


def parse_known_failures(text: str, source: str = 'known-failures') -> dict[str, KnownFailure]:
    """``{test name: KnownFailure}``; the section is the last ``# == heading ==`` seen."""
    entries: dict[str, KnownFailure] = OrderedDict()
    section = ''
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith('#'):
            heading = line.lstrip('#').strip()
            if heading.startswith('==') and heading.endswith('=='):
                section = heading.strip('=').strip()
            continue
        name, sep, reason = line.partition('#')
        name, reason = name.strip(), reason.strip()
        if not sep or not reason:
            raise KnownFailuresError(f'{source}:{number}: {name!r} has no reason '
                                     '(write "test_name  # why it fails")')
        if ' ' in name or '\t' in name:
            raise KnownFailuresError(f'{source}:{number}: {name!r} is not one test name')
        if name in entries:
            raise KnownFailuresError(f'{source}:{number}: {name} is listed twice '
                                     f'(first on line {entries[name].line})')
        entries[name] = KnownFailure(name, reason, section, number)
    return entries


@dataclass
class Case:
    """One test of the run."""

    name: str                 # test_x or test_x[param]
    file: str                 # test_s3 / test_headers
    outcome: str
    seconds: float
    message: str = ''         # first line of the failure, error or skip reason
    markers: tuple[str, ...] = ()
    detail: str = ''          # the assertion/exception lines (``E ...``) of the traceback


def _module_of(classname: str) -> str:
    return classname.rsplit('.', 1)[-1] if classname else ''


def read_junit(path: str) -> dict[str, Case]:
    """Cases of a junit xml file by name (a name run twice keeps its last outcome)."""
    cases: dict[str, Case] = OrderedDict()
    root = ET.parse(path).getroot()
    for node in root.iter('testcase'):
        name = node.get('name', '')
        outcome, message, detail = PASSED, '', ''
        for child in node:
            tag = child.tag
            if tag in ('failure', 'error', 'skipped'):
                text = child.get('message') or (child.text or '')
                message = _first_line(text)
                detail = _e_lines(child.text or '')
                if tag == 'skipped':
                    outcome = SKIPPED
                elif tag == 'error':
                    outcome = ERROR
                else:
                    outcome = FAILED
                if tag in ('failure', 'error'):
                    break
        markers: tuple[str, ...] = ()
        for prop in node.iter('property'):
            if prop.get('name') == 'markers':
                markers = tuple(m for m in (prop.get('value') or '').split(',') if m)
        cases[name] = Case(name, _module_of(node.get('classname', '')), outcome,
                           float(node.get('time') or 0), message, markers, detail)
    return cases


def _e_lines(text: str, keep: int = 3) -> str:
    """The last ``keep`` non-empty ``E`` lines of a pytest traceback, joined."""
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith('E ')]
    return ' | '.join([line for line in lines if line][-keep:])[:500]


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return ''


@dataclass
class Verdict:
    """How a run compares with the known-failures file."""

    counts: Mapping[str, int]
    new_failures: list[Case] = field(default_factory=list)      # failing, not listed
    fixed: list[Case] = field(default_factory=list)             # listed, now passes
    flaky_passed: list[Case] = field(default_factory=list)      # listed [flaky], passed
    known: list[Case] = field(default_factory=list)             # listed and failing
    listed_skipped: list[Case] = field(default_factory=list)    # listed, skipped
    skipped: list[Case] = field(default_factory=list)           # every skip
    not_run: list[str] = field(default_factory=list)            # listed, not in the run

    @property
    def ok(self) -> bool:
        return not self.new_failures and not self.fixed


def compare(cases: Mapping[str, Case], known: Mapping[str, KnownFailure],
            selected: Optional[Iterable[str]] = None) -> Verdict:
    """Compare a run with the known failures.

    ``selected``: names the run was meant to cover (a slice); listed names outside
    it are not reported as missing.
    """
    counts = {PASSED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0}
    verdict = Verdict(counts)
    for case in cases.values():
        counts[case.outcome] += 1
        listed = case.name in known
        if case.outcome in FAILING:
            (verdict.known if listed else verdict.new_failures).append(case)
        elif case.outcome == PASSED and listed:
            (verdict.flaky_passed if known[case.name].flaky
             else verdict.fixed).append(case)
        elif case.outcome == SKIPPED:
            verdict.skipped.append(case)
            if listed:
                verdict.listed_skipped.append(case)
    scope = set(selected) if selected is not None else None
    verdict.not_run = [name for name in known
                       if name not in cases and (scope is None or name in scope)]
    return verdict


def format_verdict(verdict: Verdict, known: Mapping[str, KnownFailure]) -> str:
    """The runner's closing report."""
    c = verdict.counts
    lines = []
    if verdict.new_failures:
        lines.append(f'NEW FAILURES (failing, not in the known-failures file): '
                     f'{len(verdict.new_failures)}')
        lines.extend(f'  {case.name} [{case.outcome}]: {case.message}'
                     for case in verdict.new_failures)
    if verdict.fixed:
        lines.append(f'NOW PASSING (listed as known failures: remove them from the '
                     f'file): {len(verdict.fixed)}')
        lines.extend(f'  {case.name}  # was: {known[case.name].reason}'
                     for case in verdict.fixed)
    if verdict.flaky_passed:
        lines.append(f'listed as [flaky] and passed this time: {len(verdict.flaky_passed)}')
        lines.extend(f'  {case.name}' for case in verdict.flaky_passed)
    if verdict.skipped:
        lines.append(f'skipped (not passes): {len(verdict.skipped)}')
        lines.extend(f'  {case.name}: {case.message}' for case in verdict.skipped)
    if verdict.not_run:
        lines.append(f'listed but not run (deselected or renamed): {len(verdict.not_run)}')
        lines.extend(f'  {name}' for name in verdict.not_run)
    lines.append(f'known failures still failing: {len(verdict.known)}')
    # not "N passed, N failed": CI reads such a line as a test runner's verdict
    lines.append(f's3-tests counts: passed={c[PASSED]} failed={c[FAILED]} '
                 f'errors={c[ERROR]} skipped={c[SKIPPED]}')
    lines.append('s3-tests verdict: ' + ('OK' if verdict.ok else 'FAIL'))
    return '\n'.join(lines)
