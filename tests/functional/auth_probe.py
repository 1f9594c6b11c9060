"""Test-only Paste filter: counts the authentication subrequests swift3 makes.

Two sections use it: ``role = count`` between swift3 and tempauth counts, by
transaction id (the S3 request id), the ``TEST`` subrequests and the
subrequests that reach tempauth with S3 credentials (``swift3.auth_details``,
no ``swift.authorize_override``); ``role = control`` before swift3 answers
``GET /__auth_probe__`` with those counts as JSON. One proxy process
(``workers = 0``) shares the counters. Never in a real pipeline.
"""
import json
from collections import Counter

TESTS: Counter = Counter()
AUTHENTICATED: Counter = Counter()


def filter_factory(global_conf, **local_conf):
    role = local_conf.get('role', 'count')

    def make(app):
        def count(env, start_response):
            tx = env.get('swift.trans_id', '')
            if env.get('REQUEST_METHOD') == 'TEST':
                TESTS[tx] += 1
            if 'swift3.auth_details' in env and \
                    not env.get('swift.authorize_override'):
                AUTHENTICATED[tx] += 1
            return app(env, start_response)

        def control(env, start_response):
            if env.get('PATH_INFO') != '/__auth_probe__':
                return app(env, start_response)
            body = json.dumps({'tests': TESTS,
                               'authenticated': AUTHENTICATED}).encode()
            start_response('200 OK', [('Content-Type', 'application/json'),
                                      ('Content-Length', str(len(body)))])
            return [body]
        return control if role == 'control' else count
    return make
