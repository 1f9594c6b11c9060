#!/bin/bash
# Check a built python3-swift3compat RPM (and its -dev subpackage):
#  1. its file list (rpm -qlp): the package, the egg-info with entry_points.txt
#     naming the swift3 and s3token filters, the sample config under
#     /usr/share/swift3compat and as %doc, the LICENSE as %license, the
#     swift3compat-lifecycle script and its systemd service and timer, and
#     none of the developer tools (swift3compat_dev, swift3compat-saio);
#  2. its header: noarch, Requires: openstack-swift-proxy, and no Requires
#     outside the allowed set: /usr/bin/python3, /bin/sh (scriptlets),
#     python3-*, openstack-swift-proxy, rpmlib(...) -- never the build
#     host's interpreter, python(abi) or python3.Xdist(...);
#  3. its payload, extracted with rpm2cpio | cpio into a scratch root: the
#     scripts' shebang is #!/usr/bin/python3, the package imports from there,
#     and paste.deploy resolves egg:swift3compat#swift3 and
#     egg:swift3compat#s3token to the factories in the extracted tree;
#  4. the -dev RPM (next to it, or the second argument): swift3compat_dev and
#     swift3compat-saio, Requires in the allowed set plus memcached.
#
#   packaging/rpm/check.sh [RPM [DEV_RPM]]  (default: the ones `make rpm` built)
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
dev_file=${2:-$(dirname "$rpm_file")/$(basename "$rpm_file" | sed 's/^python3-swift3compat-/python3-swift3compat-dev-/')}
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
has_file '^/usr/bin/swift3compat-lifecycle$' 'script swift3compat-lifecycle'
has_file '^/usr/lib/systemd/system/swift3compat-lifecycle\.service$' 'systemd unit swift3compat-lifecycle.service'
has_file '^/usr/lib/systemd/system/swift3compat-lifecycle\.timer$' 'systemd unit swift3compat-lifecycle.timer'
has_file '^/usr/bin/swift3compat-segments$' 'script swift3compat-segments'
has_file '^/usr/lib/systemd/system/swift3compat-segments\.service$' 'systemd unit swift3compat-segments.service'
has_file '^/usr/lib/systemd/system/swift3compat-segments\.timer$' 'systemd unit swift3compat-segments.timer'
if grep -qE "^$sitelib/swift3compat_dev(/|$)|^/usr/bin/swift3compat-saio$" <<<"$files"; then
    fail 'developer tools (swift3compat_dev, swift3compat-saio) in the main package'
else
    ok 'no developer tools in the main package'
fi

# Requires: only what an EL9 host resolves (no build-host path, no python(abi))
allowed='^(/usr/bin/python3|/bin/sh|python3-[A-Za-z0-9._+-]+( [<>=]+ [^ ]+)?|openstack-swift-proxy|rpmlib\(.*\)( <= .*)?)$'
check_requires() {  # check_requires RPM WHAT EXTRA_ALLOWED_REGEX
    local bad
    bad=$(rpm -qp --requires "$1" | grep -vE "$allowed" | grep -vE "${3:-^$}" || true)
    if [ -z "$bad" ]; then
        ok "$2 Requires are all in the allowed set"
    else
        fail "$2 Requires outside the allowed set: $(tr '\n' ' ' <<<"$bad")"
    fi
}
check_requires "$rpm_file" 'main package'

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
for script in "$scratch"/usr/bin/*; do
    [ -f "$script" ] || continue
    shebang=$(head -n 1 "$script")
    if [ "$shebang" = '#!/usr/bin/python3' ]; then
        ok "shebang of ${script#"$scratch"} is #!/usr/bin/python3"
    else
        fail "shebang of ${script#"$scratch"} is $shebang"
    fi
done
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

# the -dev subpackage
if [ -f "$dev_file" ]; then
    dev_files=$(rpm -qlp "$dev_file")
    for pattern in "^$sitelib/swift3compat_dev/__init__\.py$" \
                   "^$sitelib/swift3compat_dev/saio\.py$" \
                   '^/usr/bin/swift3compat-saio$'; do
        if grep -qE "$pattern" <<<"$dev_files"; then
            ok "dev package has $pattern"
        else
            fail "dev package lacks $pattern"
        fi
    done
    if grep -qE "^$sitelib/swift3compat/" <<<"$dev_files"; then
        fail 'dev package holds swift3compat itself'
    else
        ok 'dev package holds only the developer tools'
    fi
    version_release=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm_file")
    if rpm -qp --requires "$dev_file" | grep -qxF "python3-swift3compat = $version_release"; then
        ok "dev package Requires: python3-swift3compat = $version_release"
    else
        fail "dev package does not require python3-swift3compat = $version_release"
    fi
    check_requires "$dev_file" 'dev package' '^memcached$'
else
    fail "no dev package $dev_file"
fi

if [ "$failures" -gt 0 ]; then
    echo "check.sh: $rpm_file: $failures check(s) failed"
    exit 1
fi
echo "check.sh: $rpm_file: all checks passed"
