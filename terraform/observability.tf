# Every job ends, and operators hear about what goes wrong:
#   - executions that time out or are aborted reach RecordFailure through EventBridge (no
#     Catch runs for them), so their job rows end FAILED with a reason;
#   - alarms on the pipeline's own failures (users' bad files excluded), stopped executions,
#     Lambda errors and throttles, API 5xx, the DEGRADED rate, GPU hours and dead letters;
#   - one dashboard with all of it.

locals {
  # Metric filters count log lines the code writes (functions/lib/pipeline/job-log.ts).
  metrics_namespace = "Gorggle/${var.name_prefix}"
  alarm_actions     = aws_sns_topic.alarms[*].arn
}

# --- Stopped executions: EventBridge -> RecordFailure ----------------------------------------

resource "aws_cloudwatch_event_rule" "execution_stopped" {
  name        = "${var.name_prefix}-execution-stopped"
  description = "A pipeline execution timed out or was aborted; RecordFailure marks its job FAILED with the reason."

  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      stateMachineArn = [local.state_machine_arn]
      status          = ["TIMED_OUT", "ABORTED"]
    }
  })
}

resource "aws_cloudwatch_event_target" "record_failure" {
  rule = aws_cloudwatch_event_rule.execution_stopped.name
  arn  = aws_lambda_function.this["record-failure"].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.event_dead_letters.arn
  }
}

resource "aws_lambda_permission" "execution_stopped" {
  statement_id  = "AllowExecutionStoppedEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["record-failure"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.execution_stopped.arn
}

# Events EventBridge could not deliver to RecordFailure or contribution-feedback.
resource "aws_sqs_queue" "event_dead_letters" {
  name                      = "${var.name_prefix}-event-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "event_dead_letters" {
  statement {
    sid       = "AllowUndeliveredEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.event_dead_letters.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.execution_stopped.arn, aws_cloudwatch_event_rule.contribution_finished.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "event_dead_letters" {
  queue_url = aws_sqs_queue.event_dead_letters.id
  policy    = data.aws_iam_policy_document.event_dead_letters.json
}

# --- Metrics from the functions' own log lines ------------------------------------------------

resource "aws_cloudwatch_log_metric_filter" "pipeline_failures" {
  name           = "${var.name_prefix}-pipeline-failures"
  log_group_name = aws_cloudwatch_log_group.function["record-failure"].name
  # blame = "input" (a user's bad or deleted file) stays out.
  pattern = "{ ($.message = \"job failed\") && ($.blame = \"pipeline\") }"

  metric_transformation {
    name      = "JobsFailedByPipeline"
    namespace = local.metrics_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "jobs_finished" {
  name           = "${var.name_prefix}-jobs-finished"
  log_group_name = aws_cloudwatch_log_group.function["fuse"].name
  pattern        = "{ $.message = \"job finished\" }"

  metric_transformation {
    name      = "JobsFinished"
    namespace = local.metrics_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "jobs_degraded" {
  name           = "${var.name_prefix}-jobs-degraded"
  log_group_name = aws_cloudwatch_log_group.function["fuse"].name
  pattern        = "{ ($.message = \"job finished\") && ($.status = \"DEGRADED\") }"

  metric_transformation {
    name      = "JobsDegraded"
    namespace = local.metrics_namespace
    value     = "1"
  }
}

# --- Alarms -------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "pipeline_failures" {
  alarm_name          = "${var.name_prefix}-pipeline-failures"
  alarm_description   = "Jobs failed for a reason other than the user's file: read the job row's error and the execution history."
  namespace           = local.metrics_namespace
  metric_name         = "JobsFailedByPipeline"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "executions_stopped" {
  for_each = toset(["ExecutionsTimedOut", "ExecutionsAborted"])

  alarm_name          = "${var.name_prefix}-${lower(each.key)}"
  alarm_description   = "Pipeline executions stopped (${each.key}); RecordFailure marked their jobs FAILED. Look for stuck branches or a redeploy."
  namespace           = "AWS/States"
  metric_name         = each.key
  dimensions          = { StateMachineArn = local.state_machine_arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.deployed_functions

  alarm_name          = "${var.name_prefix}-${each.key}-errors"
  alarm_description   = "The ${each.key} function failed ${var.lambda_error_alarm_threshold} or more times in 5 minutes: read its log group."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.lambda_error_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  for_each = local.deployed_functions

  alarm_name          = "${var.name_prefix}-${each.key}-throttles"
  alarm_description   = "Lambda throttled the ${each.key} function: the account's concurrency is exhausted."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name_prefix}-api-5xx"
  alarm_description   = "The results API answered 5xx: read the api function's log group (each answer carries a request id)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = aws_apigatewayv2_api.results.id, Stage = aws_apigatewayv2_stage.default.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "degraded_rate" {
  alarm_name          = "${var.name_prefix}-degraded-rate"
  alarm_description   = "More than ${var.degraded_rate_alarm_percent}% of the last hour's jobs (at least 4) ended DEGRADED: a modality is failing for everyone."
  evaluation_periods  = 1
  threshold           = var.degraded_rate_alarm_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(finished >= 4, 100 * degraded / finished, 0)"
    label       = "DEGRADED share of finished jobs (%)"
    return_data = true
  }

  metric_query {
    id = "degraded"

    metric {
      namespace   = local.metrics_namespace
      metric_name = "JobsDegraded"
      period      = 3600
      stat        = "Sum"
    }
  }

  metric_query {
    id = "finished"

    metric {
      namespace   = local.metrics_namespace
      metric_name = "JobsFinished"
      period      = 3600
      stat        = "Sum"
    }
  }
}

# The group reports its in-service instances every minute (enabled_metrics in avhubert.tf): a
# minimum of one over an hour means an instance ran all of that hour. The group, not an
# instance id: each launch is a new instance.
resource "aws_cloudwatch_metric_alarm" "gpu_running_hours" {
  count = local.lipreading_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-gpu-running-hours"
  alarm_description   = "The lip-reading GPU group has kept an instance in service ${var.gpu_running_hours_alarm} hours in a row; stop-idle-gpu should scale it to zero when no job needs it. Check that function's log group and the group's activity history."
  namespace           = "AWS/AutoScaling"
  metric_name         = "GroupInServiceInstances"
  dimensions          = { AutoScalingGroupName = aws_autoscaling_group.avhubert[0].name }
  statistic           = "Minimum"
  period              = 3600
  evaluation_periods  = var.gpu_running_hours_alarm
  datapoints_to_alarm = var.gpu_running_hours_alarm
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "event_dead_letters" {
  alarm_name          = "${var.name_prefix}-event-dead-letters"
  alarm_description   = "EventBridge could not deliver an execution event to RecordFailure or contribution-feedback: read the queue, fix the cause, then replay."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.event_dead_letters.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

# --- Dashboard ----------------------------------------------------------------------------------

locals {
  dashboard_functions = [for name in keys(local.deployed_functions) : aws_lambda_function.this[name].function_name]
  dashboard_metric_widget = {
    type   = "metric"
    width  = 12
    height = 6
  }
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${var.name_prefix}-pipeline"
  dashboard_body = jsonencode({
    widgets = concat([
      merge(local.dashboard_metric_widget, {
        properties = {
          title  = "Executions"
          region = var.region
          stat   = "Sum"
          period = 300
          metrics = [
            for metric in ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] :
            ["AWS/States", metric, "StateMachineArn", local.state_machine_arn]
          ]
        }
      }),
      merge(local.dashboard_metric_widget, {
        properties = {
          title  = "Jobs finished, degraded, failed by the pipeline"
          region = var.region
          stat   = "Sum"
          period = 3600
          metrics = [
            [local.metrics_namespace, "JobsFinished"],
            [local.metrics_namespace, "JobsDegraded"],
            [local.metrics_namespace, "JobsFailedByPipeline"],
          ]
        }
      }),
      merge(local.dashboard_metric_widget, {
        properties = {
          title   = "Lambda errors"
          region  = var.region
          stat    = "Sum"
          period  = 300
          metrics = [for name in local.dashboard_functions : ["AWS/Lambda", "Errors", "FunctionName", name]]
        }
      }),
      merge(local.dashboard_metric_widget, {
        properties = {
          title   = "Lambda throttles"
          region  = var.region
          stat    = "Sum"
          period  = 300
          metrics = [for name in local.dashboard_functions : ["AWS/Lambda", "Throttles", "FunctionName", name]]
        }
      }),
      merge(local.dashboard_metric_widget, {
        properties = {
          title   = "Lambda duration (p95)"
          region  = var.region
          stat    = "p95"
          period  = 300
          metrics = [for name in local.dashboard_functions : ["AWS/Lambda", "Duration", "FunctionName", name]]
        }
      }),
      merge(local.dashboard_metric_widget, {
        properties = {
          title  = "Results API"
          region = var.region
          stat   = "Sum"
          period = 300
          metrics = [
            for metric in ["Count", "4xx", "5xx"] :
            ["AWS/ApiGateway", metric, "ApiId", aws_apigatewayv2_api.results.id, "Stage", aws_apigatewayv2_stage.default.name]
          ]
        }
      }),
      merge(local.dashboard_metric_widget, {
        properties = {
          title  = "Dead letters"
          region = var.region
          stat   = "Maximum"
          period = 300
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.upload_events_dlq.name],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.event_dead_letters.name],
          ]
        }
      }),
      ], local.lipreading_enabled ? [
      merge(local.dashboard_metric_widget, {
        properties = {
          title  = "Lip-reading GPU group"
          region = var.region
          stat   = "Maximum"
          period = 300
          metrics = [
            ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", local.avhubert_group_name],
            ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", local.avhubert_group_name],
          ]
        }
      }),
    ] : [])
  })
}
