# The Telegram contributor bot (functions/telegram-bot) behind POST /telegram/webhook on the
# results API, its tables and secrets, and the quality-check feedback
# (functions/contribution-feedback) that runs when a contribution's execution ends.
# The functions themselves are entries of local.lambda_functions in pipeline.tf.

locals {
  # SecureString parameters. Terraform creates each with a placeholder sent write-only
  # (value_wo), so neither the placeholder nor the real value is ever in state or a plan.
  # Set each with scripts/set-telegram-webhook.ts or `aws ssm put-parameter --overwrite`.
  telegram_parameters = {
    "bot-token"        = "Telegram bot token from @BotFather."
    "webhook-secret"   = "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -)."
    "contributor-salt" = "Secret HMAC salt of contributor hashes in S3 keys and exports. Never change it once set."
  }
  telegram_parameter_arns = [
    for name in keys(local.telegram_parameters) :
    "arn:${local.partition}:ssm:${var.region}:${local.account_id}:parameter/${var.name_prefix}/telegram/${name}"
  ]
  contribution_object_arn = "${aws_s3_bucket.this["uploads"].arn}/contributions/*"
}

resource "aws_ssm_parameter" "telegram" {
  for_each = local.telegram_parameters

  name             = "/${var.name_prefix}/telegram/${each.key}"
  description      = each.value
  type             = "SecureString"
  value_wo         = "set-me-outside-terraform"
  value_wo_version = 1
}

# --- Tables --------------------------------------------------------------------------------

resource "aws_dynamodb_table" "bot_contributors" {
  name                        = "${var.name_prefix}-bot-contributors"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "userId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "userId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

resource "aws_dynamodb_table" "bot_recordings" {
  name                        = "${var.name_prefix}-bot-recordings"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "recordingId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "recordingId"
    type = "S"
  }

  attribute {
    name = "userId"
    type = "S"
  }

  attribute {
    name = "createdAt"
    type = "S"
  }

  # One contributor's recordings: /mine, /delete and the per-person cap.
  global_secondary_index {
    name            = "by-user"
    hash_key        = "userId"
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

resource "aws_dynamodb_table" "bot_sentences" {
  name                        = "${var.name_prefix}-bot-sentences"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "sentenceId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "sentenceId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

# Handled update ids, to drop Telegram's redeliveries, and one lease per chat so a chat's
# updates are handled one at a time; TTL forgets both.
resource "aws_dynamodb_table" "bot_updates" {
  name         = "${var.name_prefix}-bot-updates"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "updateKey"

  attribute {
    name = "updateKey"
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

# --- Webhook route: Telegram authenticates with its secret header, not Cognito -------------

resource "aws_apigatewayv2_integration" "telegram_bot" {
  api_id                 = aws_apigatewayv2_api.results.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this["telegram-bot"].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "telegram_webhook" {
  api_id             = aws_apigatewayv2_api.results.id
  route_key          = "POST /telegram/webhook"
  target             = "integrations/${aws_apigatewayv2_integration.telegram_bot.id}"
  authorization_type = "NONE"
}

resource "aws_lambda_permission" "telegram_webhook" {
  statement_id  = "AllowTelegramWebhookRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["telegram-bot"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.results.execution_arn}/*/POST/telegram/webhook"
}

# --- Quality check: every finished execution; the function ignores non-contributions ------

resource "aws_cloudwatch_event_rule" "contribution_finished" {
  name        = "${var.name_prefix}-contribution-finished"
  description = "A pipeline execution ended; contribution-feedback scores contributions and tells the contributor."

  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      stateMachineArn = [local.state_machine_arn]
      status          = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    }
  })
}

resource "aws_cloudwatch_event_target" "contribution_feedback" {
  rule = aws_cloudwatch_event_rule.contribution_finished.name
  arn  = aws_lambda_function.this["contribution-feedback"].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }

  # An event EventBridge could not deliver is kept (observability.tf), not dropped.
  dead_letter_config {
    arn = aws_sqs_queue.event_dead_letters.arn
  }
}

resource "aws_lambda_permission" "contribution_finished" {
  statement_id  = "AllowExecutionStatusEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["contribution-feedback"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.contribution_finished.arn
}

# --- Policies: what each function's code calls ---------------------------------------------

data "aws_iam_policy_document" "telegram_bot" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["telegram-bot"]]
  }

  # SecureStrings under the AWS-managed aws/ssm key decrypt without a kms grant.
  statement {
    sid       = "ReadBotSecrets"
    actions   = ["ssm:GetParameters"]
    resources = local.telegram_parameter_arns
  }

  statement {
    sid     = "KeepBotRows"
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"]
    resources = [
      aws_dynamodb_table.bot_contributors.arn,
      aws_dynamodb_table.bot_recordings.arn,
      aws_dynamodb_table.bot_sentences.arn,
      aws_dynamodb_table.bot_updates.arn,
    ]
  }

  statement {
    sid       = "ListOwnRecordings"
    actions   = ["dynamodb:Query"]
    resources = ["${aws_dynamodb_table.bot_recordings.arn}/index/by-user"]
  }

  # Delete* serve /delete (a contributor withdraws) and /clear_test_data: every version goes.
  statement {
    sid       = "WriteContributions"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = [local.contribution_object_arn]
  }

  statement {
    sid       = "ListContributionVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = [aws_s3_bucket.this["uploads"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["contributions/*"]
    }
  }

  statement {
    sid       = "PurgeContributionJobs"
    actions   = ["s3:DeleteObjectVersion"]
    resources = [local.job_files_arn]
  }

  statement {
    sid       = "ListJobFileVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = [aws_s3_bucket.this["processed"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["jobs/*"]
    }
  }

  statement {
    sid       = "PurgeContributionJobRows"
    actions   = ["dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}

data "aws_iam_policy_document" "contribution_feedback" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["contribution-feedback"]]
  }

  statement {
    sid       = "ReadBotToken"
    actions   = ["ssm:GetParameters"]
    resources = ["arn:${local.partition}:ssm:${var.region}:${local.account_id}:parameter/${var.name_prefix}/telegram/bot-token"]
  }

  statement {
    sid       = "ReadJobRows"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  statement {
    sid       = "ScoreRecordings"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.bot_recordings.arn]
  }

  # A rejected take leaves its sentence's coverage.
  statement {
    sid       = "UncountRejectedTakes"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.bot_sentences.arn]
  }

  statement {
    sid       = "ReadJobResults"
    actions   = ["s3:GetObject"]
    resources = [local.job_files_arn]
  }

  # why: only with ListBucket does S3 answer a read of a missing job file (a result, or the
  # speech.json of an older job) 404 instead of 403.
  statement {
    sid       = "SeeMissingJobFiles"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["processed"].arn]
  }

  # A recording withdrawn (/delete) while its job ran: the job's late files and row go too.
  statement {
    sid       = "PurgeWithdrawnJobs"
    actions   = ["s3:DeleteObjectVersion"]
    resources = [local.job_files_arn]
  }

  statement {
    sid       = "ListWithdrawnJobFileVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = [aws_s3_bucket.this["processed"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["jobs/*"]
    }
  }

  statement {
    sid       = "PurgeWithdrawnJobRows"
    actions   = ["dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}
