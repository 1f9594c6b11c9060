"""S3 operations, one module per resource family; each handler takes
(S3Request, Backend) and returns an S3Response or raises an S3Error."""
