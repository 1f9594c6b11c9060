"""Pure S3 models (ACLs, policies, CORS, website, lifecycle, tags): no WSGI, no Swift."""
