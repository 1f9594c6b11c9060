#!/bin/bash
# Check a built python3-swift3compat RPM:
#  1. its file list (rpm -qlp): the package, the egg-info with entry_points.txt
#     naming the swift3 and s3token filters, the sample config under
#     /usr/share/swift3compat and as %doc, the LICENSE as %license;
#  2. its header: noarch, Requires: openstack-swift-proxy;
#  3. its payload, extracted with rpm2cpio | cpio into a scratch root: the
#     package imports from there, and paste.deploy resolves
#     egg:swift3compat#swift3 and egg:swift3compat#s3token to the factories
#     in the extracted tree.
#
#   packaging/rpm/check.sh [RPM]     (default: the one `make rpm` built)
#
# Prints one "ok:" or "FAIL:" line per check; exits 1 if any check failed.
# PYTHON names the interpreter for the import checks (default: python3).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
rpm_file=${1:-$(ls -t "$root"/build/rpm/RPMS/noarch/python3-swift3compat-*.noarch.rpm 2>/dev/null | head -n 1)}
if [ -z "$rpm_file" ] || [ ! -f "$rpm_file" ]; then
    echo "check.sh: no RPM to check (run make rpm first)" >&2
    exit 2
fi
rpm_file=$(cd "$(dirname "$rpm_file")" && pwd)/$(basename "$rpm_file")
python=${PYTHON:-python3}
failures=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

files=$(rpm -qlp "$rpm_file")
has_file() {  # has_file REGEX WHAT
    if grep -qE "$1" <<<"$files"; then ok "$2"; else fail "$2 (no file matching $1)"; fi
}
sitelib='/usr/lib/python3[.0-9]*/site-packages'
has_file "^$sitelib/swift3compat/__init__\.py$" 'package swift3compat'
has_file "^$sitelib/swift3compat/pipeline\.py$" 'module swift3compat.pipeline'
has_file "^$sitelib/swift3compat-[^/]+\.egg-info/PKG-INFO$" 'egg-info PKG-INFO'
has_file "^$sitelib/swift3compat-[^/]+\.egg-info/entry_points\.txt$" 'egg-info entry_points.txt'
has_file '^/usr/share/swift3compat/proxy-server\.conf-sample$' 'sample config in /usr/share/swift3compat'

if rpm -qp --docfiles "$rpm_file" | grep -qE '/proxy-server\.conf-sample$'; then
    ok 'sample config is %doc'
else
    fail 'sample config is not %doc'
fi
if rpm -qp --licensefiles "$rpm_file" | grep -qE '/LICENSE$'; then
    ok 'LICENSE is %license'
else
    fail 'LICENSE is not %license'
fi
arch=$(rpm -qp --qf '%{ARCH}' "$rpm_file")
if [ "$arch" = noarch ]; then ok 'noarch'; else fail "arch is $arch, not noarch"; fi
if rpm -qp --requires "$rpm_file" | grep -qx 'openstack-swift-proxy'; then
    ok 'Requires: openstack-swift-proxy'
else
    fail 'no Requires: openstack-swift-proxy'
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/swift3compat-rpm.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && rpm2cpio "$rpm_file" | cpio -idm --quiet) || fail 'rpm2cpio | cpio'
entry_points=$(ls "$scratch"/usr/lib/python3*/site-packages/swift3compat-*.egg-info/entry_points.txt 2>/dev/null | head -n 1)
for ep in 'swift3 = swift3compat.middleware:filter_factory' \
          's3token = swift3compat.s3token:filter_factory'; do
    if [ -n "$entry_points" ] && grep -qxF "$ep" "$entry_points"; then
        ok "entry point $ep"
    else
        fail "entry point $ep not in entry_points.txt"
    fi
done

site=$(dirname "$(dirname "${entry_points:-$scratch/none/egg-info/x}")")
# Run from the scratch root so that neither the source tree nor an editable
# install can stand in for the extracted files; the script checks where
# everything came from.
(cd "$scratch" && PYTHONPATH="$site" "$python" - "$scratch" <<'PY'
import importlib.metadata
import sys

from paste.deploy import loadwsgi

scratch = sys.argv[1]
failures = 0


def report(good, what):
    global failures
    print(('ok: ' if good else 'FAIL: ') + what)
    failures += not good


import swift3compat  # noqa: E402

report(swift3compat.__file__.startswith(scratch),
       f'swift3compat imports from the RPM payload ({swift3compat.__file__})')
dist = importlib.metadata.distribution('swift3compat')
location = str(dist.locate_file(''))
report(location.startswith(scratch),
       f'distribution metadata comes from the RPM payload ({location})')
for name in ('swift3', 's3token'):
    spec = f'egg:swift3compat#{name}'
    try:
        ctx = loadwsgi.loadcontext(loadwsgi.FILTER, spec)
    except Exception as exc:  # report every failure, keep checking
        report(False, f'{spec} does not load: {exc!r}')
        continue
    factory = ctx.object
    module = sys.modules[factory.__module__]
    report(callable(factory) and ctx.protocol == 'paste.filter_factory'
           and module.__file__.startswith(scratch),
           f'{spec} resolves to {factory.__module__}:{factory.__name__} '
           f'from {module.__file__}')
sys.exit(1 if failures else 0)
PY
) || failures=$((failures + 1))

if [ "$failures" -gt 0 ]; then
    echo "check.sh: $rpm_file: $failures check(s) failed"
    exit 1
fi
echo "check.sh: $rpm_file: all checks passed"
