terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# The region
variable "region" {
  type    = string
  default = "eu-west-1"
}

locals {
  name = "logs-${var.region}"
  tags = {
    Team = "platform" # inline comment
    Env  = "prod"
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = local.name
  tags   = local.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration { status = "Enabled" }
}

output "arn" {
  value = "${aws_s3_bucket.logs.arn}"
  description = <<-EOT
    The bucket's ARN {
    EOT
}

module "network" {
  source = "./modules/network"
  zones = [
    "eu-west-1a",
    "eu-west-1b",
  ]
  label = "zones: ${join(",", ["a", "b"])}"
  count = var.enabled ? 1 : 0
}
