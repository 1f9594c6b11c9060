"""Loopback filesystems for the test cluster's device, as Swift's SAIO uses.

Swift keeps object metadata pickled in extended attributes, and what a file's
xattrs can hold depends on the filesystem: XFS (Swift's recommended one) takes
very large values, ext4 keeps all of a file's xattrs in one block (4 KiB on a
default filesystem, unless the ``ea_inode`` feature is on). Tests of what a
request may store must therefore run on the real filesystems, not on whatever
the temp dir happens to be.

``LoopFilesystem(image, mount_point, 'xfs' | 'ext4')`` creates a sparse image
file, formats it (ext4 as mke2fs formats a production disk: 4 KiB blocks,
256-byte inodes; XFS with mkfs.xfs's defaults, as the SAIO does) and mounts it
with ``mount -o loop``. That needs root, ``mkfs.<type>`` and loop devices;
``loop_mount_possible(fstype)`` tells whether they are there, and
``Cluster(filesystem='auto')`` falls back to a plain directory when not.

A mount outlives a killed test run; ``mount()`` therefore reuses a mount point
that already holds its image, and ``unmount()`` (lazy, so a straggling server
does not block it) runs at ``Cluster.stop`` and at exit.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess  # fixed argv, no shell: mkfs, mount, umount  # nosec B404
from typing import Optional

LOG = logging.getLogger(__name__)

FILESYSTEMS = ('xfs', 'ext4')
DEFAULT_SIZE = 4 * 1024 ** 3          # sparse: only what is written takes space
# ext4 as a production disk is formatted (mke2fs would pick 1 KiB blocks and
# 128-byte inodes for a small image, a tighter xattr limit than any server has)
_MKFS_OPTIONS = {
    'xfs': ['-q', '-f'],
    'ext4': ['-q', '-F', '-b', '4096', '-I', '256', '-E', 'nodiscard'],
}


class LoopfsError(Exception):
    """The image cannot be created, formatted or mounted."""


def loop_mount_possible(fstype: str) -> Optional[str]:
    """None when ``fstype`` can be loop-mounted here, else why not."""
    if fstype not in FILESYSTEMS:
        return f'unknown filesystem {fstype!r} (known: {", ".join(FILESYSTEMS)})'
    if os.geteuid() != 0:
        return 'mounting needs root'
    for tool in (f'mkfs.{fstype}', 'mount', 'umount'):
        if shutil.which(tool) is None:
            return f'{tool} is not installed'
    if not os.path.exists('/dev/loop-control') and not os.path.exists('/dev/loop0'):
        return 'no loop devices (/dev/loop-control)'
    return None


def mounted_source(mount_point: str) -> Optional[tuple[str, str]]:
    """(source, fstype) of what is mounted at ``mount_point``, or None."""
    target = os.path.realpath(mount_point)
    try:
        with open('/proc/self/mountinfo') as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    found = None
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or fields[4] != target:
            continue
        rest = fields[fields.index('-') + 1:]
        found = (rest[1], rest[0])      # the last mount on top wins
    return found


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True,  # nosec B603
                          timeout=120, check=False)
    if proc.returncode != 0:
        raise LoopfsError(f'{" ".join(argv)} failed ({proc.returncode}): '
                          f'{proc.stderr.strip() or proc.stdout.strip()}')


def _loop_backing_file(device: str) -> Optional[str]:
    name = os.path.basename(device)
    try:
        with open(f'/sys/block/{name}/loop/backing_file') as f:
            return f.read().strip()
    except OSError:
        return None


class LoopFilesystem:
    """A filesystem of type ``fstype`` in the file ``image``, at ``mount_point``."""

    def __init__(self, image: str, mount_point: str, fstype: str,
                 size: int = DEFAULT_SIZE) -> None:
        self.image = os.path.abspath(image)
        self.mount_point = os.path.abspath(mount_point)
        self.fstype = fstype
        self.size = size

    @property
    def mounted(self) -> bool:
        found = mounted_source(self.mount_point)
        if found is None:
            return False
        source, fstype = found
        return fstype == self.fstype and (
            source == self.image or _loop_backing_file(source) == self.image)

    def mount(self) -> None:
        """Create and format the image if needed, and mount it (idempotent)."""
        why_not = loop_mount_possible(self.fstype)
        if why_not:
            raise LoopfsError(why_not)
        os.makedirs(self.mount_point, exist_ok=True)
        if self.mounted:
            return
        if mounted_source(self.mount_point) is not None:
            raise LoopfsError(f'something else is mounted at {self.mount_point}')
        if not os.path.exists(self.image):
            with open(self.image, 'wb') as f:
                f.truncate(self.size)
            try:
                _run([f'mkfs.{self.fstype}', *_MKFS_OPTIONS[self.fstype], self.image])
            except LoopfsError:
                os.unlink(self.image)
                raise
        _run(['mount', '-t', self.fstype, '-o', 'loop,noatime', self.image,
              self.mount_point])
        _MOUNTED.add(self)
        LOG.info('%s image %s mounted at %s', self.fstype, self.image,
                 self.mount_point)

    def unmount(self) -> None:
        """Unmount (lazily: the loop device goes once nothing uses it)."""
        _MOUNTED.discard(self)
        if self.mounted:
            _run(['umount', '-l', self.mount_point])

    def __repr__(self) -> str:
        return f'<LoopFilesystem {self.fstype} {self.image} at {self.mount_point}>'


_MOUNTED: set[LoopFilesystem] = set()


@atexit.register
def _unmount_all() -> None:
    for fs in list(_MOUNTED):
        try:
            fs.unmount()
        except LoopfsError as err:
            LOG.warning('%s', err)
