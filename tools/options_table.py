"""Print the README's [filter:swift3] options table from swift3compat/config.py.

    python tools/options_table.py        # paste over the table in README.md

tests/unit/test_config.py checks that README and the sample config name every
option with its default.
"""
from swift3compat import config


def table() -> str:
    rows = ['| option | default | meaning |', '| --- | --- | --- |']
    rows += ['| `%s` | `%s` | %s |' % (o.name, o.default, o.doc.replace('|', '\\|'))
             for o in config.OPTIONS]
    return '\n'.join(rows)


if __name__ == '__main__':
    print(table())
