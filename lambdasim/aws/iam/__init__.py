"""IAM, minimal: roles and their policies, and the boto3-shaped client."""
