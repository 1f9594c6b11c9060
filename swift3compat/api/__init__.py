"""The S3 API: the route table (routes) and one module per operation
family.  Handlers never import handlers: shared pieces live in model/,
swift/ or http/."""
