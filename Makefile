# Developer shortcuts. Tests and lint run through tox (see tox.ini).
#
#   make rpm        build the sdist and the RPMs into build/rpm (needs rpmbuild:
#                   apt-get install rpm rpm2cpio cpio python3-packaging on Debian)
#   make rpm-check  build, then check the binary RPM (packaging/rpm/check.sh)

PYTHON ?= python3
RPM_TOPDIR ?= build/rpm

.PHONY: rpm rpm-check

rpm:
	PYTHON=$(PYTHON) packaging/rpm/build.sh $(RPM_TOPDIR)

rpm-check: rpm
	PYTHON=$(PYTHON) packaging/rpm/check.sh \
	    $$(ls $(RPM_TOPDIR)/RPMS/noarch/python3-swift3compat-*.noarch.rpm)
