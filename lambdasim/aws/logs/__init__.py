"""CloudWatch Logs: the functions' log groups and streams, and the boto3-shaped client."""
