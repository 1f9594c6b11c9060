"""tools.bench.pipeline_ir's ratio table (the callgrind runs themselves are
the tool's job; here, what it prints from their counts)."""
from __future__ import annotations

from tools.bench import pipeline_ir


def test_ratios_table(monkeypatch, capsys, tmp_path):
    counts = {('native.conf', 'PUT'): 7.5e6, ('acl.conf', 'PUT'): 8.25e6,
              ('native.conf', 'HEAD'): 7.0e6, ('acl.conf', 'HEAD'): 7.0e6}
    asked = []

    def instructions(conf, kind, n, method, work):
        asked.append((conf.rsplit('/', 1)[1], kind, n, method))
        return counts[(conf.rsplit('/', 1)[1], method)]
    monkeypatch.setattr(pipeline_ir, 'instructions', instructions)
    pipeline_ir._print_ratios(str(tmp_path), 'PUT,HEAD', 40, str(tmp_path))
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:] == ['| PUT | 7.500 | 8.250 | 1.100 |',
                         '| HEAD | 7.000 | 7.000 | 1.000 |']
    assert asked == [('native.conf', 'native', 40, 'PUT'),
                     ('acl.conf', 's3', 40, 'PUT'),
                     ('native.conf', 'native', 40, 'HEAD'),
                     ('acl.conf', 's3', 40, 'HEAD')]


def test_summary_line_is_read(monkeypatch, tmp_path):
    """The count is the dump's ``summary`` over the N requests."""
    def run(args, **kwargs):
        out = next(a for a in args if a.startswith('--callgrind-out-file='))
        path = out.partition('=')[2]
        with open(path + '.1', 'w') as f:
            f.write('events: Ir\nsummary: 4000000\n')
        assert kwargs['env']['PYTHONHASHSEED'] == '0'
    monkeypatch.setattr('subprocess.run', run)
    assert pipeline_ir.instructions('/x/acl.conf', 's3', 40, 'GET',
                                    str(tmp_path)) == 100000


def test_complete_table(monkeypatch, capsys, tmp_path):
    """``complete``: s3api's conf, then ours, the Complete loop of each."""
    asked = []

    def callgrind(args, n, work, label):
        asked.append((args[0], args[1].rsplit('/', 1)[1], args[2:], n))
        return {'s3api.conf': 800e6, 'acl.conf': 120e6}[asked[-1][1]]
    monkeypatch.setattr(pipeline_ir, '_callgrind', callgrind)
    monkeypatch.setattr('shutil.which', lambda name: '/usr/bin/' + name)
    pipeline_ir.complete_ratio(str(tmp_path), parts=100, n=2)
    assert asked == [('loop-complete', 's3api.conf', ['2', '100'], 2),
                     ('loop-complete', 'acl.conf', ['2', '100'], 2)]
    assert capsys.readouterr().out.splitlines()[2] == \
        '| | 800.0 | 120.0 | 0.150 |'


def test_loop_counts_only_the_deletes(monkeypatch):
    """Each DELETE of the loop deletes an object: a PUT before it, outside
    what callgrind collects (also with --inside: the PUT does not open it)."""
    events = []

    class Lib:
        def instrument(self):
            events.append('instrument')

        def toggle(self):
            events.append('toggle')

        def dump(self):
            events.append('dump')

    monkeypatch.setattr(pipeline_ir, 'helper', lambda directory: Lib())
    monkeypatch.setattr(pipeline_ir, 'load', lambda conf: 'app')
    monkeypatch.setattr(pipeline_ir, 'requester',
                        lambda app, kind: ('req', '/irb/k'))
    monkeypatch.setattr(pipeline_ir, 'one',
                        lambda req, obj, method: events.append(method))
    pipeline_ir.loop('x.conf', 's3', 2, 'DELETE')
    assert events == ['PUT', 'DELETE', 'PUT', 'DELETE', 'instrument',
                      'PUT', 'toggle', 'DELETE', 'toggle',
                      'PUT', 'toggle', 'DELETE', 'toggle', 'dump']
    events.clear()
    pipeline_ir.loop('x.conf', 's3', 2, 'HEAD')
    assert events == ['PUT', 'HEAD', 'HEAD', 'instrument', 'toggle',
                      'HEAD', 'HEAD', 'toggle', 'dump']
