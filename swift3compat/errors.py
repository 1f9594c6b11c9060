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

import re
from typing import Any, Dict, Optional, Type

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

# XML 1.0 Char production: anything else in an echoed value becomes U+FFFD.
_ILLEGAL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_ESCAPES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
            '\r': '&#13;'}
_SPECIAL = re.compile('[&<>"\r]')


def escape_echoed(value: str) -> str:
    """Escape a request value echoed in an error document.  Characters XML
    1.0 cannot carry become U+FFFD instead of character references, which
    would make the document unparsable: a client that sent a control
    character still gets an error it can read.  (The error document is the
    only XML this module writes; ``http.xml`` writes every other.)"""
    value = _ILLEGAL.sub('\ufffd', value)
    if _SPECIAL.search(value):
        value = _SPECIAL.sub(lambda m: _ESCAPES[m.group()], value)
    return value


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
                 escape_echoed(self.message), '</Message>']
        for name, value in self.fields.items():
            if value is not None:
                parts.append('<%s>%s</%s>' % (
                    name, escape_echoed(str(value)), name))
        parts.append('<RequestId>%s</RequestId><HostId>%s</HostId></Error>'
                     % (request_id, host_id))
        return (XML_DECL + ''.join(parts)).encode('utf-8')

    def __repr__(self) -> str:
        return '<%s %d %s>' % (type(self).__name__, self.status, self.code)


# One class per AWS error code, with its HTTP status and AWS's default message.
class AccessControlListNotSupported(S3Error):
    status = 400
    code = 'AccessControlListNotSupported'
    message = 'The bucket does not allow ACLs'


class AccessDenied(S3Error):
    status = 403
    code = 'AccessDenied'
    message = 'Access Denied'


class AccessForbidden(S3Error):
    status = 403
    code = 'AccessForbidden'
    message = 'CORSResponse: This CORS request is not allowed.'


class AccountProblem(S3Error):
    status = 403
    code = 'AccountProblem'
    message = 'There is a problem with your AWS account.'


class AuthorizationHeaderMalformed(S3Error):
    status = 400
    code = 'AuthorizationHeaderMalformed'
    message = 'The authorization header is malformed.'


class AuthorizationQueryParametersError(S3Error):
    status = 400
    code = 'AuthorizationQueryParametersError'
    message = ('Query-string authentication requires the Signature, Expires and '
               'AWSAccessKeyId parameters')


class BadDigest(S3Error):
    status = 400
    code = 'BadDigest'
    message = 'The Content-MD5 you specified did not match what we received.'


class BucketAlreadyExists(S3Error):
    status = 409
    code = 'BucketAlreadyExists'
    message = ('The requested bucket name is not available. The bucket namespace '
               'is shared by all users of the system. Please select a different '
               'name and try again.')


class BucketAlreadyOwnedByYou(S3Error):
    status = 409
    code = 'BucketAlreadyOwnedByYou'
    message = 'Your previous request to create the named bucket succeeded and you already own it.'


class BucketNotEmpty(S3Error):
    status = 409
    code = 'BucketNotEmpty'
    message = 'The bucket you tried to delete is not empty'


class ConditionalRequestConflict(S3Error):
    status = 409
    code = 'ConditionalRequestConflict'
    message = ('The conditional request cannot succeed due to a conflicting '
               'operation against this resource.')


class EntityTooLarge(S3Error):
    status = 400
    code = 'EntityTooLarge'
    message = 'Your proposed upload exceeds the maximum allowed object size.'


class EntityTooSmall(S3Error):
    status = 400
    code = 'EntityTooSmall'
    message = 'Your proposed upload is smaller than the minimum allowed object size.'


class IllegalVersioningConfigurationException(S3Error):
    status = 400
    code = 'IllegalVersioningConfigurationException'
    message = 'The versioning configuration specified in the request is invalid.'


class IncompleteBody(S3Error):
    status = 400
    code = 'IncompleteBody'
    message = ('You did not provide the number of bytes specified by the '
               'Content-Length HTTP header.')


class InternalError(S3Error):
    status = 500
    code = 'InternalError'
    message = 'We encountered an internal error. Please try again.'


class InvalidAccessKeyId(S3Error):
    status = 403
    code = 'InvalidAccessKeyId'
    message = 'The AWS Access Key Id you provided does not exist in our records.'


class InvalidArgument(S3Error):
    status = 400
    code = 'InvalidArgument'
    message = 'Invalid Argument'


class InvalidBucketAclWithObjectOwnership(S3Error):
    status = 400
    code = 'InvalidBucketAclWithObjectOwnership'
    message = ("Bucket cannot have ACLs set with ObjectOwnership's "
               "BucketOwnerEnforced setting")


class InvalidBucketName(S3Error):
    status = 400
    code = 'InvalidBucketName'
    message = 'The specified bucket is not valid.'


class InvalidBucketState(S3Error):
    status = 409
    code = 'InvalidBucketState'
    message = 'The request is not valid with the current state of the bucket.'


class InvalidChunkSizeError(S3Error):
    status = 403
    code = 'InvalidChunkSizeError'
    message = 'Only the last chunk is allowed to have a size less than 8192 bytes'


class InvalidDigest(S3Error):
    status = 400
    code = 'InvalidDigest'
    message = 'The Content-MD5 you specified is not valid.'


class InvalidEncryptionAlgorithmError(S3Error):
    status = 400
    code = 'InvalidEncryptionAlgorithmError'
    message = 'The encryption request you specified is not valid. The valid value is AES256.'


class InvalidLocationConstraint(S3Error):
    status = 400
    code = 'InvalidLocationConstraint'
    message = 'The specified location constraint is not valid.'


class InvalidObjectState(S3Error):
    status = 403
    code = 'InvalidObjectState'
    message = 'The operation is not valid for the current state of the object.'


class IncorrectNumberOfFilesInPostRequest(S3Error):
    status = 400
    code = 'IncorrectNumberOfFilesInPostRequest'
    message = 'POST requires exactly one file upload per request.'


class InvalidPolicyDocument(S3Error):
    status = 400
    code = 'InvalidPolicyDocument'
    message = ('The content of the form does not meet the conditions specified in '
               'the policy document.')


class InvalidPart(S3Error):
    status = 400
    code = 'InvalidPart'
    message = ('One or more of the specified parts could not be found. The part '
               'may not have been uploaded, or the specified entity tag may not '
               "match the part's entity tag.")


class InvalidPartOrder(S3Error):
    status = 400
    code = 'InvalidPartOrder'
    message = 'The list of parts was not in ascending order. Parts must be ordered by part number.'


class InvalidPartNumber(S3Error):
    status = 416
    code = 'InvalidPartNumber'
    message = 'The requested partnumber is not satisfiable'


class InvalidRange(S3Error):
    status = 416
    code = 'InvalidRange'
    message = 'The requested range is not satisfiable'


class InvalidRequest(S3Error):
    status = 400
    code = 'InvalidRequest'
    message = 'Invalid Request'


class InvalidRetentionPeriod(S3Error):
    status = 400
    code = 'InvalidRetentionPeriod'
    message = 'Default retention period must be a positive integer value.'


class InvalidStorageClass(S3Error):
    status = 400
    code = 'InvalidStorageClass'
    message = 'The storage class you specified is not valid.'


class InvalidTag(S3Error):
    status = 400
    code = 'InvalidTag'
    message = 'The tag provided was not a valid tag.'


class InvalidTargetBucketForLogging(S3Error):
    status = 400
    code = 'InvalidTargetBucketForLogging'
    message = 'The target bucket for logging does not exist'


class InvalidURI(S3Error):
    status = 400
    code = 'InvalidURI'
    message = "Couldn't parse the specified URI."


class KeyTooLongError(S3Error):
    status = 400
    code = 'KeyTooLongError'
    message = 'Your key is too long.'


class KMSNotFound(S3Error):
    status = 400
    code = 'KMS.NotFoundException'
    message = 'Invalid keyId'


class MalformedACLError(S3Error):
    status = 400
    code = 'MalformedACLError'
    message = ('The XML you provided was not well-formed or did not validate '
               'against our published schema.')


class MalformedPOSTRequest(S3Error):
    status = 400
    code = 'MalformedPOSTRequest'
    message = 'The body of your POST request is not well-formed multipart/form-data.'


class MalformedPolicy(S3Error):
    status = 400
    code = 'MalformedPolicy'
    message = 'Policy has invalid resource.'


class MalformedXML(S3Error):
    status = 400
    code = 'MalformedXML'
    message = ('The XML you provided was not well-formed or did not validate '
               'against our published schema.')


class MalformedTrailerError(S3Error):
    status = 400
    code = 'MalformedTrailerError'
    message = ('The request contained trailing data that was not well-formed or '
               'did not conform to our published schema.')


class MaxMessageLengthExceeded(S3Error):
    status = 400
    code = 'MaxMessageLengthExceeded'
    message = 'Your request was too big.'


class MaxPostPreDataLengthExceeded(S3Error):
    status = 400
    code = 'MaxPostPreDataLengthExceeded'
    message = 'Your POST request fields preceding the upload file were too large.'


class MetadataTooLarge(S3Error):
    status = 400
    code = 'MetadataTooLarge'
    message = 'Your metadata headers exceed the maximum allowed metadata size.'


class RequestHeaderSectionTooLarge(S3Error):
    status = 400
    code = 'RequestHeaderSectionTooLarge'
    message = 'Your request header section exceeds the maximum allowed size.'


class MethodNotAllowed(S3Error):
    status = 405
    code = 'MethodNotAllowed'
    message = 'The specified method is not allowed against this resource.'


class MissingContentLength(S3Error):
    status = 411
    code = 'MissingContentLength'
    message = 'You must provide the Content-Length HTTP header.'


class MissingRequestBodyError(S3Error):
    status = 400
    code = 'MissingRequestBodyError'
    message = 'Request Body is empty'


class MissingSecurityHeader(S3Error):
    status = 400
    code = 'MissingSecurityHeader'
    message = 'Your request was missing a required header.'


class NoSuchBucket(S3Error):
    status = 404
    code = 'NoSuchBucket'
    message = 'The specified bucket does not exist'


class NoSuchBucketPolicy(S3Error):
    status = 404
    code = 'NoSuchBucketPolicy'
    message = 'The bucket policy does not exist'


class NoSuchCORSConfiguration(S3Error):
    status = 404
    code = 'NoSuchCORSConfiguration'
    message = 'The CORS configuration does not exist'


class NoSuchKey(S3Error):
    status = 404
    code = 'NoSuchKey'
    message = 'The specified key does not exist.'


class NoSuchLifecycleConfiguration(S3Error):
    status = 404
    code = 'NoSuchLifecycleConfiguration'
    message = 'The lifecycle configuration does not exist'


class NoSuchObjectLockConfiguration(S3Error):
    status = 404
    code = 'NoSuchObjectLockConfiguration'
    message = 'The specified object does not have a ObjectLock configuration'


class NoSuchPublicAccessBlockConfiguration(S3Error):
    status = 404
    code = 'NoSuchPublicAccessBlockConfiguration'
    message = 'The public access block configuration was not found'


class NoSuchTagSet(S3Error):
    status = 404
    code = 'NoSuchTagSet'
    message = 'The TagSet does not exist'


class NoSuchUpload(S3Error):
    status = 404
    code = 'NoSuchUpload'
    message = ('The specified upload does not exist. The upload ID may be invalid, '
               'or the upload may have been aborted or completed.')


class NoSuchVersion(S3Error):
    status = 404
    code = 'NoSuchVersion'
    message = 'The specified version does not exist.'


class NoSuchWebsiteConfiguration(S3Error):
    status = 404
    code = 'NoSuchWebsiteConfiguration'
    message = 'The specified bucket does not have a website configuration'


class NotImplemented(S3Error):
    status = 501
    code = 'NotImplemented'
    message = 'A header you provided implies functionality that is not implemented.'


class ObjectLockConfigurationNotFoundError(S3Error):
    status = 404
    code = 'ObjectLockConfigurationNotFoundError'
    message = 'Object Lock configuration does not exist for this bucket'


class OwnershipControlsNotFoundError(S3Error):
    status = 404
    code = 'OwnershipControlsNotFoundError'
    message = 'The bucket ownership controls were not found'


class PreconditionFailed(S3Error):
    status = 412
    code = 'PreconditionFailed'
    message = 'At least one of the pre-conditions you specified did not hold'


class ReplicationConfigurationNotFoundError(S3Error):
    status = 404
    code = 'ReplicationConfigurationNotFoundError'
    message = 'The replication configuration was not found'


class RequestTimeTooSkewed(S3Error):
    status = 403
    code = 'RequestTimeTooSkewed'
    message = 'The difference between the request time and the current time is too large.'


class RequestTimeout(S3Error):
    status = 400
    code = 'RequestTimeout'
    message = ('Your socket connection to the server was not read from or written '
               'to within the timeout period.')


class ServerSideEncryptionConfigurationNotFoundError(S3Error):
    status = 404
    code = 'ServerSideEncryptionConfigurationNotFoundError'
    message = 'The server side encryption configuration was not found'


class ServiceUnavailable(S3Error):
    status = 503
    code = 'ServiceUnavailable'
    message = 'Please reduce your request rate.'


class SignatureDoesNotMatch(S3Error):
    status = 403
    code = 'SignatureDoesNotMatch'
    message = ('The request signature we calculated does not match the signature '
               'you provided. Check your key and signing method.')


class SlowDown(S3Error):
    status = 503
    code = 'SlowDown'
    message = 'Please reduce your request rate.'


class TooManyBuckets(S3Error):
    status = 400
    code = 'TooManyBuckets'
    message = 'You have attempted to create more buckets than allowed.'


class UnexpectedContent(S3Error):
    status = 400
    code = 'UnexpectedContent'
    message = 'This request does not support content.'


class UnresolvableGrantByEmailAddress(S3Error):
    status = 400
    code = 'UnresolvableGrantByEmailAddress'
    message = 'The email address you provided does not match any account on record.'


class XAmzContentSHA256Mismatch(S3Error):
    status = 400
    code = 'XAmzContentSHA256Mismatch'
    message = "The provided 'x-amz-content-sha256' header does not match what was computed."


class InvalidToken(S3Error):
    status = 400
    code = 'InvalidToken'
    message = 'The provided token is malformed or otherwise invalid.'


class NoSuchLifecycle(S3Error):
    status = 404
    code = 'NoSuchLifecycle'
    message = 'The lifecycle configuration does not exist'


ERROR_CLASSES: Dict[str, Type[S3Error]] = {
    cls.code: cls for cls in S3Error.__subclasses__()}


def error_class(code: str) -> Type[S3Error]:
    """The class for an AWS error code (used by tables such as routing)."""
    return ERROR_CLASSES[code]
