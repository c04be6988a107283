"""Amazon CloudWatch: metric queries over the simulated metrics, metric math, and the boto3-shaped client."""
