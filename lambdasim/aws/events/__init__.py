"""Amazon EventBridge: buses, rules and schedules (backend) and its boto3-shaped client."""
