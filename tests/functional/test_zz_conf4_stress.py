import random
from concurrent.futures import ThreadPoolExecutor
import pytest
from tests.functional.test_versioning import _versioned_keys


@pytest.mark.parametrize('n', range(6))
def test_stress(s3_client_factory, make_bucket_name, n):
    clients = [s3_client_factory() for _ in range(6)]
    s3 = clients[0]
    bucket = make_bucket_name('st')
    _versioned_keys(s3, bucket, keys=('k',), count=10)
    versions = [v['VersionId'] for v in s3.list_object_versions(Bucket=bucket)['Versions']]

    def delete(client):
        order = list(versions)
        random.shuffle(order)
        for v in order:
            try:
                client.delete_object(Bucket=bucket, Key="k", VersionId=v)
            except Exception:
                pass

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(delete, clients))
    assert 'Versions' not in s3.list_object_versions(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
