"""Amazon S3: the bucket backend and its boto3-shaped client."""
