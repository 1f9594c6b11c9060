"""Multipart uploads (the storage layout is ``swift.uploads``):
``create`` (CreateMultipartUpload), ``part`` (UploadPart, UploadPartCopy),
``listing`` (ListParts, ListMultipartUploads), ``complete``
(CompleteMultipartUpload, AbortMultipartUpload)."""
