locals {
  # uploads: what users and the bot put in; processed: everything a job writes under
  # jobs/<jobId>/; artifacts: the Lambda zips and the lip-reading model package.
  buckets = {
    uploads   = { versioned = true }
    processed = { versioned = false }
    artifacts = { versioned = true }
  }

  upload_prefixes = ["uploads/", "contributions/"]
  # S3 suffix filters are case-sensitive and phones write .MP4.
  upload_suffixes = distinct(flatten([for ext in var.allowed_extensions : [".${lower(ext)}", ".${upper(ext)}"]]))
  upload_notification_filters = [
    for pair in setproduct(local.upload_prefixes, local.upload_suffixes) : { prefix = pair[0], suffix = pair[1] }
  ]

  functions_dist_dir = coalesce(var.functions_dist_dir, "${path.module}/../dist/functions")
  # Hashes of the zips `make build` writes; "" for a missing one, which the precondition of
  # aws_s3_object.function_zip then names instead of a bare file error.
  function_zip_hashes = {
    for name in keys(local.deployed_functions) : name => (
      fileexists("${local.functions_dist_dir}/${name}.zip") ? filebase64sha256("${local.functions_dist_dir}/${name}.zip") : ""
    )
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket        = "${var.name_prefix}-${each.key}-${local.bucket_name_suffix}"
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# SSE-S3: Transcribe and Rekognition read the media with the caller's rights, and a
# customer KMS key would need grants for both services as well.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = { for name, bucket in local.buckets : name => bucket if bucket.versioned }

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "bucket_tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.bucket_tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "uploads" {
  bucket = aws_s3_bucket.this["uploads"].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  # Users' videos go once processed and kept a while; the bot's contributions are the
  # dataset and stay.
  rule {
    id     = "expire-uploads"
    status = "Enabled"
    filter {
      prefix = "uploads/"
    }
    expiration {
      days = var.upload_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "processed" {
  bucket = aws_s3_bucket.this["processed"].id

  rule {
    id     = "expire-job-files"
    status = "Enabled"
    filter {
      prefix = "jobs/"
    }
    expiration {
      days = var.processed_retention_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.this["artifacts"].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_cors_configuration" "uploads" {
  count = length(local.upload_cors_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this["uploads"].id
  cors_rule {
    allowed_methods = ["PUT", "POST"]
    allowed_origins = local.upload_cors_origins # web.tf: the web page plus cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

# --- Upload events: S3 -> SQS -> start-pipeline --------------------------------------

resource "aws_sqs_queue" "upload_events_dlq" {
  name                      = "${var.name_prefix}-upload-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "upload_events" {
  name = "${var.name_prefix}-upload-events"
  # Six times the function timeout, as AWS advises for SQS event sources.
  visibility_timeout_seconds = 6 * local.lambda_functions["start-pipeline"].timeout
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.upload_events_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "upload_events_dlq" {
  queue_url = aws_sqs_queue.upload_events_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.upload_events.arn]
  })
}

data "aws_iam_policy_document" "upload_events_queue" {
  statement {
    sid       = "AllowUploadsBucketNotifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.upload_events.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.this["uploads"].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "upload_events" {
  queue_url = aws_sqs_queue.upload_events.id
  policy    = data.aws_iam_policy_document.upload_events_queue.json
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.this["uploads"].id

  dynamic "queue" {
    for_each = local.upload_notification_filters

    content {
      id            = "start-pipeline-${trimsuffix(queue.value.prefix, "/")}-${trimprefix(queue.value.suffix, ".")}"
      queue_arn     = aws_sqs_queue.upload_events.arn
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = queue.value.prefix
      filter_suffix = queue.value.suffix
    }
  }

  depends_on = [aws_sqs_queue_policy.upload_events]
}

resource "aws_lambda_event_source_mapping" "upload_events" {
  event_source_arn                   = aws_sqs_queue.upload_events.arn
  function_name                      = aws_lambda_function.this["start-pipeline"].arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 5
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = 5
  }
}

# --- Lambda code: the zips exceed the 50 MB direct upload (extract carries ffmpeg) ---

resource "aws_s3_object" "function_zip" {
  for_each = local.deployed_functions

  bucket      = aws_s3_bucket.this["artifacts"].id
  key         = "functions/${each.key}.zip"
  source      = "${local.functions_dist_dir}/${each.key}.zip"
  source_hash = local.function_zip_hashes[each.key]

  lifecycle {
    precondition {
      condition     = local.function_zip_hashes[each.key] != ""
      error_message = "${local.functions_dist_dir}/${each.key}.zip is missing: run `make build` first (make deploy does)."
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
