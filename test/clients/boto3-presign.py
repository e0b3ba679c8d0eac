"""boto3 as an app runs it: presigned URLs and POST forms with the default signature (SigV2 for
presigning) and with s3v4, printed as JSON for test/sigv2.test.ts to use with fetch; and user metadata
with a raw Latin-1 byte, sent the way boto3 sends it (s3-tests' test_object_set_get_unicode_metadata).

usage: boto3-presign.py ENDPOINT ACCESS_KEY SECRET_KEY BUCKET
"""
import json
import sys

import boto3
from botocore.config import Config

endpoint, ak, sk, bucket = sys.argv[1:5]


def client(config=None):
    return boto3.client(
        's3',
        endpoint_url=endpoint,
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        region_name='us-east-1',
        config=config,
    )


out = {}
for name, c in (('default', client()), ('s3v4', client(Config(signature_version='s3v4')))):
    out[name] = {
        'get': c.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'hello.txt'}),
        'get_disposition': c.generate_presigned_url(
            'get_object',
            Params={
                'Bucket': bucket,
                'Key': 'hello.txt',
                'ResponseContentDisposition': 'attachment; filename="h i.txt"',
            },
        ),
        'put': c.generate_presigned_url(
            'put_object', Params={'Bucket': bucket, 'Key': f'{name}/put.txt', 'ContentType': 'text/plain'}
        ),
        'post': c.generate_presigned_post(bucket, f'{name}/form.txt'),
        'expired': c.generate_presigned_url(
            'get_object', Params={'Bucket': bucket, 'Key': 'hello.txt'}, ExpiresIn=1
        ),
    }

# user metadata with a raw high byte, as s3-tests sends it
c = client()


def set_unicode_metadata(**kwargs):
    kwargs['params']['headers']['x-amz-meta-meta1'] = 'Hello World\xe9'


c.meta.events.register('before-call.s3.PutObject', set_unicode_metadata)
c.put_object(Bucket=bucket, Key='latin1-meta', Body=b'bar')
got = client().get_object(Bucket=bucket, Key='latin1-meta')['Metadata']['meta1']
out['metadata'] = got
print(json.dumps(out))
