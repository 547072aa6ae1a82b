# One row per job (functions/lib/adapters/dynamodb-job-repository.ts). Every row carries
# listPk = "JOB", so the `recent` index lists all jobs newest first; rows with an owner
# (the uploader's Cognito sub, or the bot) are in `by-owner` too. expiresAt removes a row
# when the processed bucket expires the job's files.
resource "aws_dynamodb_table" "jobs" {
  name                        = "${var.name_prefix}-jobs"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "jobId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "jobId"
    type = "S"
  }

  attribute {
    name = "listPk"
    type = "S"
  }

  attribute {
    name = "createdAt"
    type = "S"
  }

  attribute {
    name = "owner"
    type = "S"
  }

  global_secondary_index {
    name            = "recent"
    hash_key        = "listPk"
    range_key       = "createdAt"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "by-owner"
    hash_key        = "owner"
    range_key       = "createdAt"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
