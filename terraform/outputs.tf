output "stack_name" {
  description = "The stack's name_prefix: every resource name and the GPU's gorggle:stack tag derive from it."
  value       = var.name_prefix
}

output "region" {
  description = "The region the stack runs in."
  value       = var.region
}

output "uploads_bucket_name" {
  description = "Bucket to upload videos to, under uploads/ (the bot writes under contributions/)."
  value       = aws_s3_bucket.this["uploads"].id
}

output "processed_bucket_name" {
  description = "Bucket holding each job's files under jobs/<jobId>/ (result.json, captions.vtt, ...)."
  value       = aws_s3_bucket.this["processed"].id
}

output "artifacts_bucket_name" {
  description = "Bucket holding the Lambda zips and, under avhubert_model_prefix, the lip-reading model package."
  value       = aws_s3_bucket.this["artifacts"].id
}

output "avhubert_model_s3_uri" {
  description = "Where to upload the lip-reading model package (manifest.json, encoder.pt, decoder_step.pt, vocab.txt)."
  value       = local.avhubert_model_s3
}

output "jobs_table_name" {
  description = "DynamoDB table with one row per job; its `recent` index lists jobs newest first."
  value       = aws_dynamodb_table.jobs.name
}

output "state_machine_arn" {
  description = "ARN of the pipeline state machine; each execution is named after its jobId."
  value       = aws_sfn_state_machine.pipeline.arn
}

output "function_names" {
  description = "Lambda function names by function (start-pipeline, extract, ...)."
  value       = { for name, fn in aws_lambda_function.this : name => fn.function_name }
}

output "upload_events_queue_url" {
  description = "SQS queue that carries upload notifications to start-pipeline."
  value       = aws_sqs_queue.upload_events.id
}

output "upload_events_dlq_url" {
  description = "Dead-letter queue of upload notifications that failed five times; redrive after fixing the cause."
  value       = aws_sqs_queue.upload_events_dlq.id
}

output "lipreading_enabled" {
  description = "Whether this stack runs lip reading (enable_lipreading); without it jobs skip lip reading with the reason."
  value       = local.lipreading_enabled
}

output "avhubert_autoscaling_group_name" {
  description = "Auto Scaling group of the lip-reading GPU server (0 instances while idle, 1 while jobs need it), or null without lip reading."
  value       = one(aws_autoscaling_group.avhubert[*].name)
}

output "avhubert_bundle_s3_uri" {
  description = "The server bundle a new GPU instance installs on first boot, or null without lip reading."
  value       = local.lipreading_enabled ? "s3://${aws_s3_object.avhubert_bundle[0].bucket}/${aws_s3_object.avhubert_bundle[0].key}" : null
}

output "vpc_id" {
  description = "VPC of the lip-reading server and invoke-lipreading (created here or passed in), or null without lip reading."
  value       = local.lipreading_enabled ? local.vpc_id : null
}

output "log_group_names" {
  description = "Every log group this stack writes to; make destroy removes any that reappear after the destroy."
  value = concat(
    [for group in aws_cloudwatch_log_group.function : group.name],
    [aws_cloudwatch_log_group.state_machine.name, aws_cloudwatch_log_group.api_access.name],
  )
}

output "cost_idle_usd_per_month" {
  description = "What the stack costs per month while nobody uses it (us-east-1 list prices): the GPU is 0 because the group then holds no instance; pay-per-request services are 0 and left out."
  value       = merge(local.idle_usd_per_month, { total = sum(values(local.idle_usd_per_month)) })
}

output "cost_per_gpu_hour_usd" {
  description = "What each hour of lip reading costs (the GPU instance and its root volume, us-east-1 on-demand), or null without lip reading or for an instance type with no known price (set avhubert_hourly_usd)."
  value       = local.per_gpu_hour_usd == null ? null : merge(local.per_gpu_hour_usd, { total = sum(values(local.per_gpu_hour_usd)) })
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify, or null without alarm_email."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "web_url" {
  description = "URL of the web page (CloudFront): upload videos, watch jobs, read and download captions."
  value       = "${local.web_origin}/"
}

output "api_url" {
  description = "Base URL of the results API; every route needs a Cognito access token as a Bearer token."
  value       = aws_apigatewayv2_api.results.api_endpoint
}

output "cognito_user_pool_id" {
  description = "Cognito user pool of the web page's users; create users with `aws cognito-idp admin-create-user` (no self sign-up)."
  value       = aws_cognito_user_pool.users.id
}

output "cognito_web_client_id" {
  description = "Cognito app client the web page signs in with (authorization code with PKCE)."
  value       = aws_cognito_user_pool_client.web.id
}

output "telegram_webhook_url" {
  description = "URL to register with Telegram (scripts/set-telegram-webhook.ts does it, with the secret)."
  value       = "${aws_apigatewayv2_api.results.api_endpoint}/telegram/webhook"
}

output "telegram_parameter_names" {
  description = "SSM SecureString parameters holding the bot token, the webhook secret and the contributor-hash salt."
  value       = { for key, parameter in aws_ssm_parameter.telegram : key => parameter.name }
}

output "bot_table_names" {
  description = "DynamoDB tables of the Telegram bot: contributors, recordings, sentences and handled updates."
  value = {
    contributors = aws_dynamodb_table.bot_contributors.name
    recordings   = aws_dynamodb_table.bot_recordings.name
    sentences    = aws_dynamodb_table.bot_sentences.name
    updates      = aws_dynamodb_table.bot_updates.name
  }
}
