"""Amazon DynamoDB: tables, items and their streams, and the boto3-shaped client."""
