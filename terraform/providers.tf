provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = "gorggle" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # Bucket names are global: the account and region keep them unique.
  bucket_name_suffix = "${local.account_id}-${var.region}"
}
