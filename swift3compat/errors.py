"""S3 errors as response objects, one class per AWS error code.

Handlers and the authentication code ``raise`` these; the middleware renders
them once, as AWS does::

    <?xml version="1.0" encoding="UTF-8"?>
    <Error><Code>NoSuchKey</Code><Message>...</Message>
    <Key>...</Key><RequestId>...</RequestId><HostId>...</HostId></Error>

Extra fields (``BucketName``, ``Key``, ``Region``, ...) are passed as keyword
arguments and rendered in the order given.  Nothing in an error body ever
comes from a secret: callers must not pass signatures or keys other than the
access key id where AWS itself echoes it.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from swift3compat import xmlutil


class S3Error(Exception):
    """Base class: an S3 error response (status, code, message, extra fields)."""

    status: int = 400
    code: str = 'InvalidRequest'
    message: str = 'Invalid Request'

    def __init__(self, message: Optional[str] = None, *,
                 headers: Optional[Dict[str, str]] = None,
                 **fields: Any) -> None:
        self.message = message or type(self).message
        self.fields = fields
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def body(self, request_id: str, host_id: str = '') -> bytes:
        parts = ['<Error><Code>', self.code, '</Code><Message>',
                 xmlutil.escape_echoed(self.message), '</Message>']
        for name, value in self.fields.items():
            if value is not None:
                parts.append('<%s>%s</%s>' % (
                    name, xmlutil.escape_echoed(str(value)), name))
        parts.append('<RequestId>%s</RequestId><HostId>%s</HostId></Error>'
                     % (request_id, host_id))
        return (xmlutil.XML_DECL + ''.join(parts)).encode('utf-8')

    def __repr__(self) -> str:
        return '<%s %d %s>' % (type(self).__name__, self.status, self.code)


def _error(name: str, status: int, message: str) -> type:
    cls = type(name, (S3Error,), {'status': status, 'code': name,
                                  'message': message})
    globals()[name] = cls
    return cls


# (code, HTTP status, AWS's default message).  The names become classes in
# this module, e.g. ``errors.NoSuchKey``.
_ERRORS = [
    ('AccessDenied', 403, 'Access Denied'),
    ('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed.'),
    ('AccountProblem', 403, 'There is a problem with your AWS account.'),
    ('AuthorizationHeaderMalformed', 400,
     'The authorization header is malformed.'),
    ('AuthorizationQueryParametersError', 400,
     'Query-string authentication requires the Signature, Expires and '
     'AWSAccessKeyId parameters'),
    ('BadDigest', 400,
     'The Content-MD5 you specified did not match what we received.'),
    ('BucketAlreadyExists', 409,
     'The requested bucket name is not available. The bucket namespace is '
     'shared by all users of the system. Please select a different name and '
     'try again.'),
    ('BucketAlreadyOwnedByYou', 409,
     'Your previous request to create the named bucket succeeded and you '
     'already own it.'),
    ('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty'),
    ('ConditionalRequestConflict', 409,
     'The conditional request cannot succeed due to a conflicting operation '
     'against this resource.'),
    ('EntityTooLarge', 400,
     'Your proposed upload exceeds the maximum allowed object size.'),
    ('EntityTooSmall', 400,
     'Your proposed upload is smaller than the minimum allowed object size.'),
    ('IllegalVersioningConfigurationException', 400,
     'The versioning configuration specified in the request is invalid.'),
    ('IncompleteBody', 400,
     'You did not provide the number of bytes specified by the '
     'Content-Length HTTP header.'),
    ('InternalError', 500,
     'We encountered an internal error. Please try again.'),
    ('InvalidAccessKeyId', 403,
     'The AWS Access Key Id you provided does not exist in our records.'),
    ('InvalidArgument', 400, 'Invalid Argument'),
    ('InvalidBucketName', 400, 'The specified bucket is not valid.'),
    ('InvalidBucketState', 409,
     'The request is not valid with the current state of the bucket.'),
    ('InvalidChunkSizeError', 403,
     'Only the last chunk is allowed to have a size less than 8192 bytes'),
    ('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.'),
    ('InvalidEncryptionAlgorithmError', 400,
     'The encryption request you specified is not valid. The valid value is '
     'AES256.'),
    ('InvalidLocationConstraint', 400,
     'The specified location constraint is not valid.'),
    ('InvalidObjectState', 403,
     'The operation is not valid for the current state of the object.'),
    ('IncorrectNumberOfFilesInPostRequest', 400,
     'POST requires exactly one file upload per request.'),
    ('InvalidPolicyDocument', 400,
     'The content of the form does not meet the conditions specified in the '
     'policy document.'),
    ('InvalidPart', 400,
     'One or more of the specified parts could not be found. The part may '
     'not have been uploaded, or the specified entity tag may not match the '
     "part's entity tag."),
    ('InvalidPartOrder', 400,
     'The list of parts was not in ascending order. Parts must be ordered by '
     'part number.'),
    ('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable'),
    ('InvalidRange', 416, 'The requested range is not satisfiable'),
    ('InvalidRequest', 400, 'Invalid Request'),
    ('InvalidStorageClass', 400,
     'The storage class you specified is not valid.'),
    ('InvalidTag', 400, 'The tag provided was not a valid tag.'),
    ('InvalidTargetBucketForLogging', 400,
     'The target bucket for logging does not exist'),
    ('InvalidURI', 400, "Couldn't parse the specified URI."),
    ('KeyTooLongError', 400, 'Your key is too long.'),
    ('MalformedACLError', 400,
     'The XML you provided was not well-formed or did not validate against '
     'our published schema.'),
    ('MalformedPOSTRequest', 400,
     'The body of your POST request is not well-formed multipart/form-data.'),
    ('MalformedPolicy', 400, 'Policy has invalid resource.'),
    ('MalformedXML', 400,
     'The XML you provided was not well-formed or did not validate against '
     'our published schema.'),
    ('MalformedTrailerError', 400,
     'The request contained trailing data that was not well-formed or did '
     'not conform to our published schema.'),
    ('MaxMessageLengthExceeded', 400, 'Your request was too big.'),
    ('MaxPostPreDataLengthExceeded', 400,
     'Your POST request fields preceding the upload file were too large.'),
    ('MetadataTooLarge', 400,
     'Your metadata headers exceed the maximum allowed metadata size.'),
    ('RequestHeaderSectionTooLarge', 400,
     'Your request header section exceeds the maximum allowed size.'),
    ('MethodNotAllowed', 405,
     'The specified method is not allowed against this resource.'),
    ('MissingContentLength', 411,
     'You must provide the Content-Length HTTP header.'),
    ('MissingRequestBodyError', 400, 'Request Body is empty'),
    ('MissingSecurityHeader', 400,
     'Your request was missing a required header.'),
    ('NoSuchBucket', 404, 'The specified bucket does not exist'),
    ('NoSuchBucketPolicy', 404, 'The bucket policy does not exist'),
    ('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist'),
    ('NoSuchKey', 404, 'The specified key does not exist.'),
    ('NoSuchLifecycleConfiguration', 404,
     'The lifecycle configuration does not exist'),
    ('NoSuchPublicAccessBlockConfiguration', 404,
     'The public access block configuration was not found'),
    ('NoSuchTagSet', 404, 'The TagSet does not exist'),
    ('NoSuchUpload', 404,
     'The specified upload does not exist. The upload ID may be invalid, or '
     'the upload may have been aborted or completed.'),
    ('NoSuchVersion', 404,
     'The specified version does not exist.'),
    ('NoSuchWebsiteConfiguration', 404,
     'The specified bucket does not have a website configuration'),
    ('NotImplemented', 501,
     'A header you provided implies functionality that is not implemented.'),
    ('ObjectLockConfigurationNotFoundError', 404,
     'Object Lock configuration does not exist for this bucket'),
    ('OwnershipControlsNotFoundError', 404,
     'The bucket ownership controls were not found'),
    ('PreconditionFailed', 412,
     'At least one of the pre-conditions you specified did not hold'),
    ('ReplicationConfigurationNotFoundError', 404,
     'The replication configuration was not found'),
    ('RequestTimeTooSkewed', 403,
     'The difference between the request time and the current time is too '
     'large.'),
    ('RequestTimeout', 400,
     'Your socket connection to the server was not read from or written to '
     'within the timeout period.'),
    ('ServerSideEncryptionConfigurationNotFoundError', 404,
     'The server side encryption configuration was not found'),
    ('ServiceUnavailable', 503, 'Please reduce your request rate.'),
    ('SignatureDoesNotMatch', 403,
     'The request signature we calculated does not match the signature you '
     'provided. Check your key and signing method.'),
    ('SlowDown', 503, 'Please reduce your request rate.'),
    ('TooManyBuckets', 400,
     'You have attempted to create more buckets than allowed.'),
    ('UnexpectedContent', 400,
     'This request does not support content.'),
    ('UnresolvableGrantByEmailAddress', 400,
     'The email address you provided does not match any account on record.'),
    ('XAmzContentSHA256Mismatch', 400,
     "The provided 'x-amz-content-sha256' header does not match what was "
     'computed.'),
    ('InvalidToken', 400, 'The provided token is malformed or otherwise '
     'invalid.'),
    ('NoSuchLifecycle', 404, 'The lifecycle configuration does not exist'),
]

for _name, _status, _message in _ERRORS:
    _error(_name, _status, _message)

# Use as ``errors.NoSuchKey(...)``; the classes are made from the table above.
ERROR_CLASSES = {name: globals()[name] for name, _s, _m in _ERRORS}


def error_class(code: str) -> type:
    """The class for an AWS error code (used by tables such as routing)."""
    return ERROR_CLASSES[code]
