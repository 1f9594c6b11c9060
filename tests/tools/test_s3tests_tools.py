"""tools/s3tests: the known-failures file, the verdict and the groups of doc/conformance.md."""
from __future__ import annotations

import pytest

from tools.s3tests import report, results

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="s3tests.functional.test_s3" name="test_ok" time="0.5">
  <properties><property name="markers" value="copy,fails_on_dbstore"/></properties>
</testcase>
<testcase classname="s3tests.functional.test_s3" name="test_known" time="0.1">
  <failure message="assert 400 == 200">long trace</failure></testcase>
<testcase classname="s3tests.functional.test_s3" name="test_new" time="0.1">
  <failure message="">

botocore.exceptions.ClientError: NotImplemented
more</failure></testcase>
<testcase classname="s3tests.functional.test_s3" name="test_fixed" time="0.1"/>
<testcase classname="s3tests.functional.test_headers" name="test_broken_setup" time="0">
  <error message="fixture failed"/></testcase>
<testcase classname="s3tests.functional.test_s3" name="test_skip[a-1]" time="0">
  <skipped message="no storage class"/></testcase>
</testsuite></testsuites>
"""

KNOWN = """
# == not implemented yet ==
test_known  # Foo is not implemented
test_fixed  # was broken
# == RGW-only ==
test_skip[a-1]  # x-rgw header
test_gone  # renamed upstream
"""


@pytest.fixture
def cases(tmp_path):
    path = tmp_path / 'junit.xml'
    path.write_text(JUNIT)
    return results.read_junit(str(path))


def test_read_junit_outcomes_messages_markers(cases):
    assert {n: c.outcome for n, c in cases.items()} == {
        'test_ok': 'passed', 'test_known': 'failed', 'test_new': 'failed',
        'test_fixed': 'passed', 'test_broken_setup': 'error', 'test_skip[a-1]': 'skipped'}
    assert cases['test_ok'].markers == ('copy', 'fails_on_dbstore')
    assert cases['test_new'].message == 'botocore.exceptions.ClientError: NotImplemented'
    assert cases['test_skip[a-1]'].message == 'no storage class'
    assert cases['test_broken_setup'].file == 'test_headers'


def test_parse_known_failures_sections():
    known = results.parse_known_failures(KNOWN)
    assert list(known) == ['test_known', 'test_fixed', 'test_skip[a-1]', 'test_gone']
    assert known['test_known'].section == 'not implemented yet'
    assert known['test_known'].reason == 'Foo is not implemented'
    assert known['test_gone'].section == 'RGW-only'


@pytest.mark.parametrize('text, message', [
    ('test_a\n', 'has no reason'),
    ('test_a  #   \n', 'has no reason'),
    ('test_a  # x\ntest_a  # y\n', 'listed twice'),
    ('test_a test_b  # x\n', 'not one test name'),
])
def test_parse_known_failures_rejects(text, message):
    with pytest.raises(results.KnownFailuresError, match=message):
        results.parse_known_failures(text, 'kf.txt')


def test_compare_new_failure_fixed_skip_not_run(cases):
    known = results.parse_known_failures(KNOWN)
    verdict = results.compare(cases, known)
    assert [c.name for c in verdict.new_failures] == ['test_new', 'test_broken_setup']
    assert [c.name for c in verdict.fixed] == ['test_fixed']
    assert [c.name for c in verdict.known] == ['test_known']
    assert [c.name for c in verdict.skipped] == ['test_skip[a-1]']
    assert [c.name for c in verdict.listed_skipped] == ['test_skip[a-1]']
    assert verdict.not_run == ['test_gone']
    assert dict(verdict.counts) == {'passed': 2, 'failed': 2, 'error': 1, 'skipped': 1}
    assert not verdict.ok
    text = results.format_verdict(verdict, known)
    assert 'NEW FAILURES' in text and 'NOW PASSING' in text
    assert 'test_fixed  # was: was broken' in text
    assert text.splitlines()[-1] == 's3-tests verdict: FAIL'


def test_compare_ok_when_only_known_failures_and_skips(cases):
    only = {n: c for n, c in cases.items() if n in ('test_ok', 'test_known', 'test_skip[a-1]')}
    known = results.parse_known_failures(KNOWN)
    verdict = results.compare(only, known, selected=['test_ok', 'test_known'])
    assert verdict.ok
    assert verdict.not_run == []       # listed tests outside the slice are not missing


@pytest.mark.parametrize('name, markers, group', [
    ('test_bucket_logging_simple_key', ('bucket_logging',), 'logging'),
    ('test_sse_kms_transfer_1b', ('encryption',), 'encryption'),
    ('test_copy_enc', (), 'encryption'),
    ('test_object_lock_get_legal_hold', (), 'object lock'),
    ('test_lifecycle_expiration', ('lifecycle',), 'lifecycle'),
    ('test_put_object_ifmatch_good', (), 'conditional'),
    ('test_post_object_anonymous_request', (), 'post'),
    ('test_bucket_policy_acl', ('bucket_policy',), 'policy & public access'),
    ('test_object_acl_canned', (), 'acl & ownership'),
    ('test_versioning_obj_list_marker', (), 'versioning'),
    ('test_multipart_upload_small', (), 'multipart'),
    ('test_object_copy_16m', ('copy',), 'copy'),
    ('test_object_raw_get_x_amz_expires_not_expired', (), 'auth & signatures'),
    ('test_bucket_listv2_delimiter_basic', ('list_objects_v2',), 'bucket listing'),
    ('test_bucket_list_empty', (), 'bucket listing'),
    ('test_bucket_create_naming_bad_ip', (), 'bucket ops'),
    ('test_object_write_file', (), 'object ops'),
])
def test_groups(name, markers, group):
    case = results.Case(name, 'test_s3', results.PASSED, 0.0, '', markers)
    assert report.group_of(case) == group


def test_render_counts_and_causes(cases):
    known = results.parse_known_failures(KNOWN)
    text = report.render(cases, known, {'commit': 'abc123', 'deselected': 4,
                                        'deselected_markers': ['iam_user']})
    assert '**2 passed** of the 6 tests run' in text
    assert '`abc123`' in text
    assert '| **total** | **6** | **2** | **2** | **1** | **1** |' in text
    assert '| not implemented yet | 2 |' in text
    assert '| RGW-only | 2 |' in text


def test_flaky_known_failure_may_pass(cases):
    known = results.parse_known_failures(
        'test_fixed  # [flaky] depends on timing\ntest_known  # x\n'
        'test_new  # y\ntest_broken_setup  # z\n')
    verdict = results.compare(cases, known)
    assert verdict.fixed == []
    assert [c.name for c in verdict.flaky_passed] == ['test_fixed']
    assert verdict.ok
    assert 'listed as [flaky] and passed this time: 1' in \
        results.format_verdict(verdict, known)
