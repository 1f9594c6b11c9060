"""Authorization: who asks, the S3 ACL guard, the bucket index and the
bucket policy verdict."""
