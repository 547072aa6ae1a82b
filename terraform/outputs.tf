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

output "avhubert_instance_id" {
  description = "EC2 instance of the lip-reading server (stopped while idle)."
  value       = aws_instance.avhubert.id
}

output "lipreading_endpoint" {
  description = "URL of the lip-reading server inside the VPC; invoke-lipreading finds the same address by the instance's tag."
  value       = local.avhubert_endpoint
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
