#!/bin/bash
# Build the swift3compat RPMs from this source tree: make the sdist, then
# `rpmbuild -ba` packaging/rpm/python-swift3compat.spec with a private topdir.
#
#   packaging/rpm/build.sh [TOPDIR]        (default: build/rpm; `make rpm`)
#
# Prints the paths of the source RPM, the binary RPM and the -dev binary RPM
# on its last three lines. Works on RPM-based
# hosts and on Debian (apt-get install rpm), where the spec's fallback Python
# macros are used and build dependencies are not checked (no RPM database).
# PYTHON names the interpreter that builds the sdist and the package
# (default: python3).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
spec=$root/packaging/rpm/python-swift3compat.spec
topdir=$(mkdir -p "${1:-$root/build/rpm}" && cd "${1:-$root/build/rpm}" && pwd)
python=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')

defines=(--define "_topdir $topdir")
if [ -z "$(rpm --eval '%{?__python3}')" ]; then
    # no python-rpm-macros here: build with the interpreter we were given
    defines+=(--define "__python3 $python")
fi
nodeps=()
if ! rpm -q rpm >/dev/null 2>&1; then
    echo "build.sh: no RPM database on this host: not checking BuildRequires"
    nodeps=(--nodeps)
fi

version=$(cd "$root" && "$python" -c \
    'import swift3compat; print(swift3compat.__version__)')
spec_version=$(rpmspec "${defines[@]}" -q --srpm --qf '%{version}\n' \
    "$spec")
if [ "$version" != "$spec_version" ]; then
    echo "build.sh: swift3compat is $version but the spec says" \
         "Version: $spec_version; update $spec (Version and %changelog)" >&2
    exit 1
fi

rm -rf "$topdir"/{BUILD,BUILDROOT,RPMS,SRPMS,SOURCES}
mkdir -p "$topdir"/{BUILD,BUILDROOT,RPMS,SRPMS,SOURCES,egg-info}
# --egg-base keeps the sdist's egg-info out of the source tree
(cd "$root" && "$python" setup.py -q egg_info --egg-base "$topdir/egg-info" \
    sdist --dist-dir "$topdir/SOURCES") >"$topdir/sdist.log" 2>&1 || {
    cat "$topdir/sdist.log" >&2
    exit 1
}
rpmbuild -ba "${defines[@]}" "${nodeps[@]}" "$spec" >"$topdir/rpmbuild.log" 2>&1 || {
    tail -n 60 "$topdir/rpmbuild.log" >&2
    echo "build.sh: rpmbuild failed; full log: $topdir/rpmbuild.log" >&2
    exit 1
}
ls "$topdir"/SRPMS/*.src.rpm
ls "$topdir"/RPMS/noarch/python3-swift3compat-"$version"-*.noarch.rpm
ls "$topdir"/RPMS/noarch/python3-swift3compat-dev-"$version"-*.noarch.rpm
