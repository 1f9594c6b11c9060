"""What an object looks like on the object server's disk (at-rest checks)."""
from __future__ import annotations

import os
from typing import Dict, List, Tuple

from swift.obj.diskfile import read_metadata


def object_files(devices_dir: str, name_contains: str = ''
                 ) -> List[Tuple[str, Dict[str, str], bytes]]:
    """Every ``.data`` file under ``devices_dir`` whose object name (the
    ``name`` in its metadata, ``/account/container/object``) contains
    ``name_contains``: (path, metadata, raw bytes on disk)."""
    found = []
    for root, _dirs, files in os.walk(devices_dir):
        for filename in files:
            if not filename.endswith('.data'):
                continue
            path = os.path.join(root, filename)
            with open(path, 'rb') as f:
                try:
                    metadata = read_metadata(f)
                except Exception:       # a file being written or removed
                    continue
                name = metadata.get('name', '')
                if isinstance(name, bytes):
                    name = name.decode('utf-8', 'surrogateescape')
                if name_contains in name:
                    found.append((path, metadata, f.read()))
    return found


def object_file(devices_dir: str, account: str, container: str, obj: str
                ) -> Tuple[str, Dict[str, str], bytes]:
    """The newest ``.data`` file of exactly /account/container/obj."""
    want = '/%s/%s/%s' % (account, container, obj)
    matches = [f for f in object_files(devices_dir, want)
               if _name(f[1]) == want]
    assert matches, 'no .data file for %s under %s' % (want, devices_dir)
    return max(matches, key=lambda f: os.path.basename(f[0]))


def _name(metadata: Dict[str, str]) -> str:
    name = metadata.get('name', '')
    return name.decode('utf-8') if isinstance(name, bytes) else name


def metadata_text(metadata: Dict[str, str]) -> str:
    return ' '.join('%s=%s' % (k, v) for k, v in metadata.items())
