"""Development tools, not part of the runtime: the all-in-one
(``swift3compat-saio``, ``python -m swift3compat_dev.saio``), the
in-process Swift cluster the tests run (``cluster``, ``servers``) and a
local Keystone (``local_keystone``, ``keystone_serve``)."""
