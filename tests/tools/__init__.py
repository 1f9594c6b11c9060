# Unit tests of the developer tools under tools/ (benchmark, s3-tests runner).
# tools/ is not in the sdist, so these stay out of tests/unit, which the RPM's
# %check runs against the installed package.
