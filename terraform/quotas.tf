# Service quotas that a burst of uploads would otherwise hit: jobs wait for a slot in their
# polling loop instead of failing and degrading.
#   - Amazon Transcribe queues jobs over its concurrency quota itself (deferred execution),
#     reading the queued media with the data access role below.
#   - Amazon Rekognition Video runs about 20 jobs per account at once; face-detect takes one
#     of var.rekognition_max_concurrent_jobs leases in quota_leases before it starts a job.

# One item per gate (functions/lib/adapters/dynamodb-concurrency-gate.ts): its holders and
# their lease ends. TTL removes the item of a gate that has been idle for a day.
resource "aws_dynamodb_table" "quota_leases" {
  name         = "${var.name_prefix}-quota-leases"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "gate"

  attribute {
    name = "gate"
    type = "S"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  server_side_encryption {
    enabled = true
  }
}

# --- Transcribe's data access role: what a queued job reads and writes ---------------------

data "aws_iam_policy_document" "transcribe_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["transcribe.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:transcribe:${var.region}:${local.account_id}:*"]
    }
  }
}

data "aws_iam_policy_document" "transcribe_data_access" {
  statement {
    sid       = "ReadQueuedAudio"
    actions   = ["s3:GetObject"]
    resources = [local.job_file_arn["audio.wav"]]
  }

  statement {
    sid       = "WriteTranscripts"
    actions   = ["s3:PutObject"]
    resources = [local.job_file_arn["transcribe.json"]]
  }
}

resource "aws_iam_role" "transcribe_data_access" {
  name               = "${var.name_prefix}-transcribe-data-access"
  assume_role_policy = data.aws_iam_policy_document.transcribe_assume_role.json
}

resource "aws_iam_role_policy" "transcribe_data_access" {
  name   = "${var.name_prefix}-transcribe-data-access"
  role   = aws_iam_role.transcribe_data_access.id
  policy = data.aws_iam_policy_document.transcribe_data_access.json
}
