"""Programs written in the style of AWS's published Python SDK examples (a wrapper class taking a client, a scenario,
resource-based SQS/SNS code, a custom waiter). They import nothing from lambdasim: tests run them unchanged under
``lambdasim.mock_aws`` and against the native clients, and compare what they return."""
