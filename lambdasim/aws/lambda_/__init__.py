"""AWS Lambda: the service backend (functions, versions, aliases, routing, concurrency, event invoke configs)
and its boto3-shaped client."""
