# What the stack costs while nobody uses it, and what lip reading costs per GPU hour, from
# us-east-1 on-demand list prices (other regions differ by a few per cent to a third). Every
# other service is paid per request and costs nothing while idle: Lambda, Step Functions,
# S3 requests, DynamoDB on demand, Transcribe, Rekognition, API Gateway, CloudFront, Cognito
# (within its free tier). Storage of your own videos and results is not counted.

locals {
  # USD per hour, Linux on demand, us-east-1.
  gpu_hourly_usd_list = {
    "g4dn.xlarge"  = 0.526
    "g4dn.2xlarge" = 0.752
    "g5.xlarge"    = 1.006
    "g5.2xlarge"   = 1.212
    "g6.xlarge"    = 0.8048
    "g6.2xlarge"   = 0.9776
  }
  gpu_hourly_usd          = var.avhubert_hourly_usd != null ? var.avhubert_hourly_usd : lookup(local.gpu_hourly_usd_list, var.avhubert_instance_type, null)
  gp3_usd_per_gb_month    = 0.08
  endpoint_usd_per_hour   = 0.01 # per interface endpoint and zone
  hours_per_month         = 730
  interface_endpoint_zone = length(local.interface_endpoint_subnet_ids)

  idle_usd_per_month = {
    # The group holds no instance while idle: neither GPU nor volume exists then.
    gpu_instance            = 0
    gpu_root_volume         = 0
    vpc_interface_endpoints = length(local.interface_endpoints) * local.interface_endpoint_zone * local.endpoint_usd_per_hour * local.hours_per_month
    cloudwatch_alarms       = 0.1 * local.cost_alarm_metrics
    cloudwatch_dashboard    = 3 # beyond an account's first three
  }
  # Alarms are billed per metric they watch (observability.tf, pipeline.tf); the DEGRADED-rate
  # alarm's expression reads two. The log metric filters publish only when jobs run.
  cost_alarm_metrics = sum([
    length(aws_cloudwatch_metric_alarm.function_errors),
    length(aws_cloudwatch_metric_alarm.function_throttles),
    length(aws_cloudwatch_metric_alarm.executions_stopped),
    length(aws_cloudwatch_metric_alarm.gpu_running_hours),
    2, # degraded_rate
    4, # pipeline_failures, api_5xx, event_dead_letters, upload_events_dead_letters
  ])

  per_gpu_hour_usd = local.lipreading_enabled && local.gpu_hourly_usd != null ? {
    instance    = local.gpu_hourly_usd
    root_volume = var.avhubert_root_volume_gb * local.gp3_usd_per_gb_month / local.hours_per_month
  } : null
}
