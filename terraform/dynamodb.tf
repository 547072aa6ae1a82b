# One row per job (functions/lib/adapters/dynamodb-job-repository.ts). Every row carries
# listPk = "JOB", so the `recent` index lists all jobs newest first.
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

  global_secondary_index {
    name            = "recent"
    hash_key        = "listPk"
    range_key       = "createdAt"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
