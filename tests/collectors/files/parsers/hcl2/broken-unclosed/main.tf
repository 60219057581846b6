resource "aws_sqs_queue" "orders" {
  name                      = "orders"
  message_retention_seconds = 86400
  tags = {
    Team = "platform"
  }
